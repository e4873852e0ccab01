"""The survey pages' forms: the builder (the survey's settings and one form per question,
posted whole), a new survey from a template, and invitations pasted one a line.

The forms only turn fields into the definition the services check; the services'
reasons (English, for the API) are shown in the page's language through ``reason``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from soriloop.surveys.campaigns import MAX_REMINDER_DAYS
from soriloop.surveys.models import Survey
from soriloop.surveys.questions import KEY, LANGUAGES, MAX_QUESTIONS, SurveyInvalid
from soriloop.surveys.services import MAX_RECIPIENTS
from soriloop.surveys.starters import BLANK, STARTERS

KIND_LABELS: dict[str, Promise] = {
    "nps": _lazy("NPS (0-10)"),
    "csat": _lazy("CSAT (1-5)"),
    "ces": _lazy("CES (1-7)"),
    "stars": _lazy("Stars (1-5)"),
    "single": _lazy("One choice"),
    "multiple": _lazy("Several choices"),
    "text": _lazy("Open text"),
    "hidden": _lazy("Hidden field (from the link)"),
}
OPERATOR_LABELS: dict[str, Promise] = {
    "lte": _lazy("is at most"),
    "gte": _lazy("is at least"),
    "eq": _lazy("equals"),
    "in": _lazy("is one of"),
    "answered": _lazy("is answered"),
}
LANGUAGE_LABELS: dict[str, Promise] = {"ko": _lazy("Korean"), "en": _lazy("English")}
MAX_CSV_BYTES = 10_000_000


def _language_name(code: str) -> str:
    return str(LANGUAGE_LABELS.get(code, code))


# The services' reasons, in the page's language. Each pattern matches a message of
# questions.py or services.py; its named groups fill the translation.
REASONS: list[tuple[re.Pattern[str], Promise]] = [
    (re.compile(r"must be a lowercase name"), _lazy("Use lowercase letters, digits and _, starting with a letter (at most 40).")),
    (re.compile(r"'(?P<key>.+)' is used twice"), _lazy("The key %(key)s is used twice.")),
    (re.compile(r"the (?P<lang>ko|en) text must be at most (?P<n>\d+) characters"), _lazy("The %(lang)s text is too long: at most %(n)s characters.")),
    (re.compile(r"the (?P<lang>ko|en) text must be a non-empty string|needs an? (?P<lang2>ko|en) text"), _lazy("Write the %(lang)s text.")),
    (re.compile(r"is not a language|must be an object of texts"), _lazy("Write the text in Korean and in English.")),
    (re.compile(r"at most (?P<n>\d+) choices"), _lazy("At most %(n)s choices.")),
    (re.compile(r"must be a string or|choice keys must differ"), _lazy("Write one choice a line, each with its own key: key | Korean | English.")),
    (re.compile(r"must name an earlier question"), _lazy("Branch on a question that comes before this one.")),
    (re.compile(r"(lte|gte) needs a number"), _lazy("Compare with a number.")),
    (re.compile(r"in needs a list"), _lazy("List the values, separated by commas.")),
    (re.compile(r"at most (?P<n>\d+) questions"), _lazy("At most %(n)s questions.")),
    (re.compile(r"must be a list of ko and/or en"), _lazy("Choose at least one language.")),
    (re.compile(r"must be at most (?P<n>\d+) characters"), _lazy("At most %(n)s characters.")),
    (re.compile(r"must be texts by language"), _lazy("A thank-you text has at most 500 characters.")),
    (re.compile(r"closed survey cannot be changed"), _lazy("A closed survey cannot be changed.")),
    (re.compile(r"closed survey cannot be published"), _lazy("A closed survey cannot be published again.")),
    (re.compile(r"^is closed$"), _lazy("The survey is closed.")),
    (re.compile(r"is not an e-mail address"), _lazy("This is not an e-mail address.")),
    (re.compile(r"must be ko or en"), _lazy("The language must be ko or en.")),
    (re.compile(r"are strings \((?P<n>\d+) at most\)"), _lazy("At most %(n)s characters.")),
    (re.compile(r"must be one of"), _lazy("Choose one of the offered values.")),
    (re.compile(r"must be a non-empty (list|string)"), _lazy("This field is required.")),
    # campaigns.py and triggers.py
    (re.compile(r"must be live \(published, not closed\)"), _lazy("Publish the survey to send it.")),
    (re.compile(r"no recipient with a valid e-mail address"), _lazy("No recipient has a valid e-mail address.")),
    (re.compile(r"^no valid e-mail address$"), _lazy("This is not an e-mail address.")),
    (re.compile(r"^no e-mail address$"), _lazy("The e-mail address is missing.")),
    (re.compile(r"language must be ko or en"), _lazy("The language must be ko or en.")),
    (re.compile(r"the same address is earlier in the list"), _lazy("The same address is earlier in the list.")),
    (re.compile(r"at most (?P<n>\d+) per campaign"), _lazy("At most %(n)s recipients per campaign.")),
    (re.compile(r"^must be from 1 to (?P<n>\d+)$"), _lazy("Choose a number from 1 to %(n)s.")),
    (re.compile(r"must come before the links expire"), _lazy("The reminder must come before the links expire.")),
    (re.compile(r"the first line must name the columns"), _lazy("The first line must name the columns, one of them email.")),
    (re.compile(r"must be an event type"), _lazy("Lower-case letters, digits, _ and ., such as purchase_completed.")),
    (re.compile(r"must be a whole number from 0 to (?P<n>\d+)"), _lazy("A whole number from 0 to %(n)s.")),
    (re.compile(r"must map up to (?P<n>\d+) property names"), _lazy("At most %(n)s name=value lines.")),
]  # fmt: skip


def reason(message: str) -> str:
    """A service's reason in the page's language."""
    for pattern, text in REASONS:
        found = pattern.search(message)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v}
            if "lang2" in values:
                values["lang"] = values.pop("lang2")
            if "lang" in values:
                values["lang"] = _language_name(values["lang"])
            return str(text) % values if values else str(text)
    return _("This value is not valid.")


class SurveyForm(forms.Form):
    name = forms.CharField(label=_lazy("Name"), max_length=200)
    touchpoint = forms.CharField(
        label=_lazy("Touchpoint"),
        max_length=120,
        required=False,
        help_text=_lazy("Where in the journey (checkout, support): the answers land there."),
    )
    languages = forms.MultipleChoiceField(
        label=_lazy("Languages"),
        choices=list(LANGUAGE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _lazy("Choose at least one language.")},
    )
    thank_you_ko = forms.CharField(
        label=_lazy("Thank-you text in Korean"), max_length=500, required=False
    )
    thank_you_en = forms.CharField(
        label=_lazy("Thank-you text in English"), max_length=500, required=False
    )

    @staticmethod
    def initial_of(survey: Survey) -> dict[str, Any]:
        return {
            "name": survey.name,
            "touchpoint": survey.touchpoint,
            "languages": survey.languages,
            **{f"thank_you_{lang}": survey.thank_you.get(lang, "") for lang in LANGUAGES},
        }

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "touchpoint": data["touchpoint"],
            "languages": [lang for lang in LANGUAGES if lang in data["languages"]],
            "thank_you": {lang: data[f"thank_you_{lang}"] for lang in LANGUAGES},
        }


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _condition_value(op: str, text: str) -> Any:
    """The typed value of a condition: numbers for comparisons, a list for ``in``."""
    text = text.strip()
    if op == "answered":
        return None
    if op == "in":
        return [_number(part.strip()) for part in text.split(",") if part.strip()]
    return _number(text)


def _condition_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _choices_of(text: str) -> list[Any]:
    """One choice a line: ``key | Korean | English``, ``key | text`` (every language) or
    ``text`` (its key made from it)."""
    found: list[Any] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        if len(parts) == 1:
            found.append(parts[0])
        elif len(parts) == 2:
            found.append({"key": parts[0], "text": parts[1]})
        else:
            texts = {lang: t for lang, t in zip(LANGUAGES, parts[1:3], strict=True) if t}
            found.append({"key": parts[0], "text": texts})
    return found


def _choices_text(choices: Sequence[Mapping[str, Any]], languages: Sequence[str]) -> str:
    lines = []
    for choice in choices:
        texts = choice["text"]
        if isinstance(texts, str):
            lines.append(f"{choice['key']} | {texts}")
        elif len(languages) > 1:
            lines.append(" | ".join([choice["key"], *(texts.get(lang, "") for lang in LANGUAGES)]))
        else:
            lines.append(f"{choice['key']} | {texts.get(languages[0], '')}")
    return "\n".join(lines)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("Kind"), choices=list(KIND_LABELS.items()))
    key = forms.RegexField(
        label=_lazy("Key"),
        regex=KEY,
        max_length=40,
        error_messages={
            "invalid": _lazy(
                "Use lowercase letters, digits and _, starting with a letter (at most 40)."
            )
        },
    )
    text_ko = forms.CharField(label=_lazy("Question in Korean"), max_length=500, required=False)
    text_en = forms.CharField(label=_lazy("Question in English"), max_length=500, required=False)
    required = forms.BooleanField(label=_lazy("Required"), required=False)
    choices = forms.CharField(
        label=_lazy("Choices"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_lazy("One a line: key | Korean | English."),
    )
    other = forms.BooleanField(label=_lazy("Offer “other” with a text"), required=False)
    show_if_key = forms.ChoiceField(label=_lazy("Ask only when"), required=False)
    show_if_op = forms.ChoiceField(
        label=_lazy("Condition"),
        required=False,
        choices=[("", "—"), *OPERATOR_LABELS.items()],
    )
    show_if_value = forms.CharField(label=_lazy("Value"), max_length=500, required=False)

    def __init__(self, *args: Any, earlier: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keys = list(earlier)
        # A condition on a question that is no longer before this one stays, for the
        # services to refuse by name, rather than silently becoming "always asked".
        name = self.add_prefix("show_if_key")
        chosen = self.data.get(name) if self.is_bound else self.initial.get("show_if_key")
        if chosen and chosen not in keys:
            keys.append(str(chosen))
        self.fields["show_if_key"].choices = [  # type: ignore[attr-defined]
            ("", _("always asked")),
            *((k, k) for k in keys),
        ]

    @staticmethod
    def initial_of(question: Mapping[str, Any], languages: Sequence[str]) -> dict[str, Any]:
        texts = question.get("text") or {}
        condition = question.get("show_if") or {}
        return {
            "kind": question["kind"],
            "key": question["key"],
            **{f"text_{lang}": texts.get(lang, "") for lang in LANGUAGES},
            "required": question.get("required", False),
            "choices": _choices_text(question.get("choices", []), languages),
            "other": question.get("other", False),
            "show_if_key": condition.get("key", ""),
            "show_if_op": condition.get("op", "") if condition else "",
            "show_if_value": _condition_text(condition.get("value")),
        }

    def question(self) -> dict[str, Any]:
        """The question as the definition has it (checked by the services)."""
        data = self.cleaned_data
        question: dict[str, Any] = {
            "key": data["key"],
            "kind": data["kind"],
            "required": data["required"],
        }
        if data["kind"] != "hidden":
            texts = {lang: data[f"text_{lang}"] for lang in LANGUAGES}
            question["text"] = {lang: text for lang, text in texts.items() if text}
        if data["kind"] in ("single", "multiple"):
            question["choices"] = _choices_of(data["choices"])
            question["other"] = data["other"]
        if data["show_if_key"]:
            op = data["show_if_op"] or "eq"
            question["show_if"] = {
                "key": data["show_if_key"],
                "op": op,
                "value": _condition_value(op, data["show_if_value"]),
            }
        return question

    def add_reason(self, where: str, message: str) -> None:
        """Show a service's reason at ``where`` (``text``, ``choices[1].text``, ...)."""
        if where.startswith("text"):
            lang = "en" if re.search(r"\ben\b", message) else "ko"
            self.add_error(f"text_{lang}", reason(message))
            return
        field = {"key": "key", "kind": "kind", "choices": "choices", "show_if": "show_if_key"}
        name = field.get(re.split(r"[\[.]", where)[0]) if where else None
        self.add_error(name, reason(message))


class Builder:
    """The builder's form: the survey's settings and its questions, posted whole. Moving,
    adding or removing a question re-renders what was posted without saving it."""

    PREFIX = "q"

    def __init__(self, survey: Survey, data: QueryDict | None = None) -> None:
        self.survey = survey
        self.settings = SurveyForm(data, initial=SurveyForm.initial_of(survey))
        if data is None:
            languages = survey.languages
            initials = [QuestionForm.initial_of(q, languages) for q in survey.current.questions]
            self.questions = self._unbound(initials)
        else:
            self.questions = self._bound(data)

    def _bound(self, data: QueryDict) -> list[QuestionForm]:
        try:
            count = min(int(data.get("count", "0")), MAX_QUESTIONS)
        except ValueError:
            count = 0
        keys = [data.get(f"{self.PREFIX}{i}-key", "") for i in range(count)]
        return [
            QuestionForm(data, prefix=f"{self.PREFIX}{i}", earlier=[k for k in keys[:i] if k])
            for i in range(count)
        ]

    def _unbound(self, initials: list[dict[str, Any]]) -> list[QuestionForm]:
        keys = [str(q.get("key") or "") for q in initials]
        return [
            QuestionForm(
                initial=initial,
                prefix=f"{self.PREFIX}{i}",
                earlier=[k for k in keys[:i] if k],
            )
            for i, initial in enumerate(initials)
        ]

    @property
    def has_question_errors(self) -> bool:
        return any(q.errors for q in self.questions)

    def is_valid(self) -> bool:
        valid = self.settings.is_valid()
        return all([q.is_valid() for q in self.questions]) and valid

    def payload(self) -> dict[str, Any]:
        return {**self.settings.payload(), "questions": [q.question() for q in self.questions]}

    def attach(self, exc: SurveyInvalid) -> None:
        """Show the services' reasons on the fields they name."""
        for where, messages in exc.fields.items():
            found = re.match(r"questions\[(\d+)\]\.?(.*)", where)
            for message in messages:
                if found and int(found.group(1)) < len(self.questions):
                    self.questions[int(found.group(1))].add_reason(found.group(2), message)
                elif where in ("name", "touchpoint", "languages"):
                    self.settings.add_error(where, reason(message))
                else:
                    self.settings.add_error(None, reason(message))

    def apply(self, operation: str, new_kind: str = "text") -> None:
        """``add``, ``up-<i>``, ``down-<i>`` or ``remove-<i>`` on the posted questions."""
        questions = [_raw(q) for q in self.questions]
        verb, _sep, where = operation.partition("-")
        i = int(where) if where.isdigit() else -1
        if verb == "add" and len(questions) < MAX_QUESTIONS:
            questions.append(self._blank(new_kind, questions))
        elif verb == "remove" and 0 <= i < len(questions) and len(questions) > 1:
            questions.pop(i)
        elif verb in ("up", "down"):
            j = i - 1 if verb == "up" else i + 1
            if 0 <= i < len(questions) and 0 <= j < len(questions):
                questions[i], questions[j] = questions[j], questions[i]
        self.settings = SurveyForm(initial=_raw(self.settings))
        self.questions = self._unbound(questions)

    @staticmethod
    def _blank(kind: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
        taken = {q.get("key") for q in questions}
        n = len(questions) + 1
        while f"q{n}" in taken:
            n += 1
        return {"kind": kind if kind in KIND_LABELS else "text", "key": f"q{n}"}


def _raw(form: forms.Form) -> dict[str, Any]:
    """What was posted to ``form``, unchecked: to show it again as it was."""
    return {
        name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        for name, field in form.fields.items()
    }


class NewSurveyForm(forms.Form):
    starter = forms.ChoiceField(label=_lazy("Start from"), widget=forms.RadioSelect, initial="nps")
    name = forms.CharField(
        label=_lazy("Name"),
        max_length=200,
        required=False,
        help_text=_lazy("Leave it empty to use the template's name."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lang = "en" if (get_language() or "").startswith("en") else "ko"
        self.fields["starter"].choices = [  # type: ignore[attr-defined]
            *((key, starter["name"][lang]) for key, starter in STARTERS.items()),
            ("blank", _("A blank survey")),
        ]
        self.language = lang

    def definition(self) -> dict[str, Any]:
        """The new survey's definition: the chosen template in both languages, named in the
        page's language (or as given)."""
        starter = STARTERS.get(self.cleaned_data["starter"], BLANK)
        return {
            "name": self.cleaned_data["name"] or starter["name"][self.language],
            "touchpoint": starter["touchpoint"],
            "languages": list(LANGUAGES),
            "questions": starter["questions"],
        }


class InviteForm(forms.Form):
    recipients = forms.CharField(
        label=_lazy("Recipients"),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "kim@example.com, 김하늘, ko"}),
        max_length=200_000,
        help_text=_lazy(
            "One a line: an e-mail address, then a name and a language (ko or en) if you like, separated by commas."
        ),
    )
    language = forms.ChoiceField(
        label=_lazy("Language for lines without one"),
        required=False,
        choices=[("", _lazy("The survey's first language")), *LANGUAGE_LABELS.items()],
    )
    send = forms.ChoiceField(
        label=_lazy("How"),
        widget=forms.RadioSelect,
        initial="email",
        choices=[
            ("email", _lazy("E-mail each one an invitation")),
            ("none", _lazy("Only make the links (I send them myself)")),
        ],
    )

    def clean_recipients(self) -> list[dict[str, str]]:
        found = []
        for line in self.cleaned_data["recipients"].splitlines():
            parts = [p.strip() for p in re.split(r"[,\t;]", line) if p.strip()]
            if not parts:
                continue
            recipient = {"email": parts[0], "name": "", "language": ""}
            for part in parts[1:]:
                key = "language" if part in LANGUAGES and not recipient["language"] else "name"
                recipient[key] = recipient[key] or part
            found.append(recipient)
        if not found:
            raise forms.ValidationError(_("Write at least one e-mail address."))
        if len(found) > MAX_RECIPIENTS:
            raise forms.ValidationError(
                _("At most %(n)s recipients at once.") % {"n": MAX_RECIPIENTS}
            )
        return found

    def payload(self) -> list[dict[str, str]]:
        default = self.cleaned_data["language"]
        return [
            {**r, "language": r["language"] or default} for r in self.cleaned_data["recipients"]
        ]

    def attach(self, exc: SurveyInvalid) -> None:
        """Name each bad line (``recipients[2].email`` is line 3 of the pasted ones)."""
        for where, messages in exc.fields.items():
            found = re.match(r"recipients\[(\d+)\]", where)
            for message in messages:
                if found:
                    line = int(found.group(1)) + 1
                    text = _("Line %(n)s: %(reason)s") % {"n": line, "reason": reason(message)}
                    self.add_error("recipients", text)
                else:
                    self.add_error(None, reason(message))


class CampaignForm(InviteForm):
    """An e-mail campaign from the sending page: addresses pasted one a line or a CSV file
    (a header row naming ``email`` and, if you like, ``name``, ``external_id``, ``language``
    and the survey's hidden fields), an optional reminder and a start time."""

    name = forms.CharField(label=_lazy("Name"), max_length=200, required=False)
    csv_file = forms.FileField(
        label=_lazy("Or a CSV file"),
        required=False,
        help_text=_lazy(
            "The first line names the columns: email, and if you like name, external_id, language and the survey's hidden fields."
        ),
    )
    reminder_days = forms.IntegerField(
        label=_lazy("Remind those who did not finish after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_REMINDER_DAYS,
    )
    start_at = forms.DateTimeField(
        label=_lazy("Start sending at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_lazy("In the workspace's time zone; empty means now."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["send"]
        self.fields["recipients"].required = False

    def clean_recipients(self) -> list[dict[str, str]]:
        if not self.cleaned_data.get("recipients", "").strip():
            return []
        return super().clean_recipients()

    def clean_csv_file(self) -> str:
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return ""
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(n)s MB.") % {"n": MAX_CSV_BYTES // 1_000_000}
            )
        raw = upload.read()
        try:
            return str(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = bool(cleaned.get("recipients")) + bool(cleaned.get("csv_file"))
        if not self.errors and given != 1:
            raise forms.ValidationError(_("Paste addresses or choose a CSV file (one of the two)."))
        return cleaned

    def attach(self, exc: SurveyInvalid) -> None:
        """Show the services' reasons on the fields they name."""
        for where, messages in exc.fields.items():
            line = re.match(r"recipients\[(\d+)\]", where)
            for message in messages:
                if where in ("csv", "reminder_days"):
                    self.add_error("csv_file" if where == "csv" else where, reason(message))
                elif line:
                    text = _("Line %(n)s: %(reason)s") % {
                        "n": int(line.group(1)) + 1,
                        "reason": reason(message),
                    }
                    self.add_error("recipients", text)
                else:
                    self.add_error(None, reason(message))


class TriggerForm(forms.Form):
    """A trigger rule from the sending page: send the survey some minutes after each event
    of a type, optionally only for events whose properties hold given values."""

    event_type = forms.RegexField(
        label=_lazy("Event type"),
        regex=r"^[a-z][a-z0-9_.]{0,59}$",
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "purchase_completed"}),
        error_messages={
            "invalid": _lazy("Lower-case letters, digits, _ and ., such as purchase_completed.")
        },
    )
    delay_minutes = forms.IntegerField(
        label=_lazy("Delay (minutes)"), min_value=0, max_value=60 * 24 * 90, initial=60
    )
    filter = forms.CharField(
        label=_lazy("Only when the event's properties are"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "channel=app"}),
        help_text=_lazy("One a line: name=value. Empty means every event of the type."),
        max_length=5_000,
    )

    def clean_filter(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for n, line in enumerate(self.cleaned_data["filter"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(_("Line %(n)s: write name=value.") % {"n": n})
            found[name.strip()] = value.strip()
        return found
