from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from soriloop.core.templatetags.soriloop import TYPE_LABELS
from soriloop.feedback.filters import NO_TYPE, UNASSIGNED
from soriloop.feedback.models import Channel, ScoreKind

MANUAL_CHANNELS = [
    (Channel.PHONE, Channel.PHONE.label),
    (Channel.IN_PERSON, Channel.IN_PERSON.label),
    (Channel.CHAT, Channel.CHAT.label),
    (Channel.EMAIL, Channel.EMAIL.label),
    (Channel.SOCIAL, Channel.SOCIAL.label),
    (Channel.MANUAL, _("Other")),
]


class ChoicesMenu(forms.CheckboxSelectMultiple):
    """Checkboxes in a drop-down whose summary names the chosen ones in the page's language.

    A native ``<select multiple>`` shows the browser's own "0 selected", in the browser's
    language, whatever the page's.
    """

    template_name = "feedback/widgets/choices_menu.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = {str(v) for v in (value or [])}
        labels = [str(label) for key, label in self.choices if str(key) in chosen]
        context["widget"]["summary"] = ", ".join(labels) if labels else _("Any")
        return context


class FilterForm(forms.Form):
    """The inbox's filter bar; the parsed values come from ``FeedbackFilter``."""

    q = forms.CharField(label=_("Search"), required=False)
    channel = forms.MultipleChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        required=False,
        widget=ChoicesMenu,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    score_kind = forms.ChoiceField(
        label=_("Score"), choices=[("", _("Any")), *ScoreKind.choices], required=False
    )
    score_min = forms.FloatField(label=_("Min"), required=False)
    score_max = forms.FloatField(label=_("Max"), required=False)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        choices=[
            ("", _("Any")),
            ("positive", _("Positive")),
            ("neutral", _("Neutral")),
            ("negative", _("Negative")),
        ],
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Any")), ("ko", _("Korean")), ("en", _("English")), ("other", _("Other"))],
        required=False,
    )
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    touchpoint = forms.CharField(label=_("Touchpoint"), required=False)
    segment = forms.CharField(label=_("Segment"), required=False)
    source = forms.CharField(label=_("Source"), required=False)

    def __init__(self, *args: Any, topics: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *topics,
            (UNASSIGNED, _("Unassigned")),
        ]
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *TYPE_LABELS.items(),
            (NO_TYPE, _("No type")),
        ]


class ManualEntryForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=MANUAL_CHANNELS, initial=Channel.PHONE)
    text = forms.CharField(
        label=_("What the customer said"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=20_000,
    )
    score_kind = forms.ChoiceField(
        label=_("Score type"), choices=[("", _("No score")), *ScoreKind.choices], required=False
    )
    score = forms.FloatField(label=_("Score"), required=False)
    touchpoint = forms.CharField(label=_("Touchpoint"), required=False, max_length=120)
    received_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=200)
    customer_email = forms.EmailField(label=_("Customer e-mail"), required=False)
    customer_phone = forms.CharField(label=_("Customer phone"), required=False, max_length=32)
    customer_external_id = forms.CharField(label=_("Customer ID"), required=False, max_length=200)

    def payload(self) -> dict[str, Any]:
        """The cleaned form as the ingest door's field names."""
        data = self.cleaned_data
        customer = {
            key: data[f"customer_{key}"]
            for key in ("name", "email", "phone", "external_id")
            if data.get(f"customer_{key}")
        }
        payload: dict[str, Any] = {
            "channel": data["channel"],
            "text": data.get("text") or "",
            "touchpoint": data.get("touchpoint") or "",
            "received_at": data.get("received_at"),
            "customer": customer or None,
        }
        if data.get("score") is not None or data.get("score_kind"):
            payload["score"] = data.get("score")
            payload["score_kind"] = data.get("score_kind")
        return payload


class ChannelSettingsForm(forms.Form):
    widget_origins = forms.CharField(
        label=_("Websites allowed to embed the widget"),
        help_text=_("One origin per line, e.g. https://shop.example.com"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    thanks_ko = forms.CharField(
        label=_("Thank-you message (Korean)"), required=False, max_length=300
    )
    thanks_en = forms.CharField(
        label=_("Thank-you message (English)"), required=False, max_length=300
    )
    reply_enabled = forms.BooleanField(
        label=_("E-mail a reply to senders who left an address"), required=False
    )
    reply_subject_ko = forms.CharField(
        label=_("Reply subject (Korean)"), required=False, max_length=200
    )
    reply_subject_en = forms.CharField(
        label=_("Reply subject (English)"), required=False, max_length=200
    )
    reply_body_ko = forms.CharField(
        label=_("Reply text (Korean)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reply_body_en = forms.CharField(
        label=_("Reply text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV, JSONL or XLSX file"))
    source = forms.CharField(
        label=_("Source name"),
        required=False,
        max_length=120,
        help_text=_("Default: the file name"),
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large  # the upload handler cut the file off
        if too_large:
            self.fields["file"].required = False

    def clean_file(self) -> Any:
        if self.too_large:
            limit = f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:,.0f}"
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: split it, or ask an admin to raise "
                  "IMPORT_MAX_BYTES.") % {"size": limit}
            )  # fmt: skip
        return self.cleaned_data["file"]


SCALES = [
    ("stars:5", _("Stars, 1-5")),
    ("stars:10", _("Stars, 1-10 (shown as 1-5)")),
    ("stars:100", _("Percent, 0-100 (shown as 1-5 stars)")),
    ("nps", _("NPS, 0-10")),
    ("csat", _("CSAT, 1-5")),
    ("ces", _("CES, 1-7")),
]


class MappingForm(forms.Form):
    """One select per target field, listing the file's columns."""

    TARGET_LABELS = {
        "text": _("Feedback text"),
        "received_at": _("Date"),
        "external_id": _("ID (for de-duplication)"),
        "touchpoint": _("Touchpoint"),
        "customer_external_id": _("Customer ID"),
        "customer_email": _("Customer e-mail"),
        "customer_phone": _("Customer phone"),
        "customer_name": _("Customer name"),
    }

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((c, c) for c in columns)]
        for target, label in self.TARGET_LABELS.items():
            self.fields[target] = forms.ChoiceField(label=label, choices=choices, required=False)
        self.fields["score"] = forms.ChoiceField(label=_("Score"), choices=choices, required=False)
        self.fields["score_scale"] = forms.ChoiceField(
            label=_("Score scale"), choices=SCALES, required=False
        )
        self.fields["score_confirmed"] = forms.BooleanField(
            label=_("I checked the score scale"),
            required=False,
            help_text=_("Only a checked scale lets the scores teach the sentiment model."),
        )
        self.fields["channel"] = forms.ChoiceField(
            label=_("Channel"),
            choices=[
                (c.value, c.label)
                for c in (
                    Channel.IMPORT,
                    Channel.REVIEW,
                    Channel.SURVEY,
                    Channel.SOCIAL,
                    Channel.CHAT,
                )
            ],
        )
        self.fields["source"] = forms.CharField(label=_("Source name"), max_length=120)
        self.fields["keep_other"] = forms.BooleanField(
            label=_("Keep the other columns as metadata"), required=False
        )
