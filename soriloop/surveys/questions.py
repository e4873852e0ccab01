"""Question definitions and answers: checked and normalised here, pure (no database).

A definition is a list of questions; an answer set is ``{key: value}``. Both raise
``SurveyInvalid`` naming every bad field (``questions[2].kind``, or the question key)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("ko", "en")
SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "stars": (1, 5),
}
SCORED = tuple(SCALES)
KINDS = (*SCORED, "single", "multiple", "text", "hidden")
OPERATORS = ("lte", "gte", "eq", "in", "answered")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 50
MAX_CHOICES = 30
MAX_TEXT = 5000
MAX_LABEL = 500


class SurveyInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class _Errors:
    fields: dict[str, list[str]]

    def add(self, where: str, message: str) -> None:
        self.fields.setdefault(where, []).append(message)


def _label(value: Any, where: str, languages: Sequence[str], errors: _Errors) -> dict[str, str]:
    """A text in each survey language: ``{"ko": ..., "en": ...}``, or one string for all."""
    if isinstance(value, str):
        value = dict.fromkeys(languages, value)
    if not isinstance(value, Mapping):
        errors.add(where, "must be an object of texts by language (ko, en)")
        return {}
    found = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            errors.add(where, f"{lang!r} is not a language (ko, en)")
        elif not isinstance(text, str) or not text.strip():
            errors.add(where, f"the {lang} text must be a non-empty string")
        elif len(text) > MAX_LABEL:
            errors.add(where, f"the {lang} text must be at most {MAX_LABEL} characters")
        else:
            found[lang] = text.strip()
    for lang in languages:
        if lang not in found and not errors.fields.get(where):
            errors.add(where, f"needs a {lang} text")
    return found


def _choices(raw: Any, where: str, languages: Sequence[str], errors: _Errors) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        errors.add(where, "must be a non-empty list")
        return []
    if len(raw) > MAX_CHOICES:
        errors.add(where, f"at most {MAX_CHOICES} choices")
    choices = []
    for i, choice in enumerate(raw):
        if isinstance(choice, str):
            choice = {"key": _slug(choice), "text": choice}
        if not isinstance(choice, Mapping) or not isinstance(choice.get("key"), str):
            errors.add(f"{where}[{i}]", 'must be a string or {"key", "text"}')
            continue
        text = _label(choice.get("text", choice["key"]), f"{where}[{i}].text", languages, errors)
        choices.append({"key": choice["key"][:80], "text": text})
    keys = [c["key"] for c in choices]
    if len(set(keys)) != len(keys):
        errors.add(where, "choice keys must differ")
    return choices


def _slug(text: str) -> str:
    return re.sub(r"\s+", "_", unicodedata.normalize("NFKC", text).strip().lower())[:80] or "_"


def _condition(raw: Any, where: str, before: dict[str, dict[str, Any]], errors: _Errors) -> Any:
    """``{"key": <an earlier question>, "op": lte|gte|eq|in|answered, "value": ...}``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or raw.get("key") not in before:
        errors.add(where, "must name an earlier question as key")
        return None
    op = raw.get("op", "eq")
    if op not in OPERATORS:
        errors.add(where, f"op must be one of {', '.join(OPERATORS)}")
        return None
    value = raw.get("value")
    if op in ("lte", "gte") and (not isinstance(value, int | float) or isinstance(value, bool)):
        errors.add(where, f"{op} needs a number as value")
    if op == "in" and not isinstance(value, list):
        errors.add(where, "in needs a list as value")
    return {"key": raw["key"], "op": op, "value": value}


def parse_definition(raw: Any, languages: Sequence[str]) -> list[dict[str, Any]]:
    """The questions of a survey, checked and normalised; raise ``SurveyInvalid``."""
    errors = _Errors({})
    if not isinstance(raw, list) or not raw:
        raise SurveyInvalid({"questions": ["must be a non-empty list"]})
    if len(raw) > MAX_QUESTIONS:
        raise SurveyInvalid({"questions": [f"at most {MAX_QUESTIONS} questions"]})
    seen: dict[str, dict[str, Any]] = {}
    for i, q in enumerate(raw):
        where = f"questions[{i}]"
        if not isinstance(q, Mapping):
            errors.add(where, "must be an object")
            continue
        question = _question(q, where, languages, seen, errors)
        if question is not None:
            seen[question["key"]] = question
    if errors.fields:
        raise SurveyInvalid(errors.fields)
    return list(seen.values())


def _question(
    q: Mapping[str, Any],
    where: str,
    languages: Sequence[str],
    seen: dict[str, dict[str, Any]],
    errors: _Errors,
) -> dict[str, Any] | None:
    key, kind = q.get("key"), q.get("kind")
    if not isinstance(key, str) or not KEY.match(key):
        errors.add(f"{where}.key", "must be a lowercase name (a-z, 0-9, _; up to 40)")
        return None
    if key in seen:
        errors.add(f"{where}.key", f"{key!r} is used twice")
        return None
    if kind not in KINDS:
        errors.add(f"{where}.kind", f"must be one of {', '.join(KINDS)}")
        return None
    question: dict[str, Any] = {"key": key, "kind": kind, "required": bool(q.get("required"))}
    if kind != "hidden":
        question["text"] = _label(q.get("text"), f"{where}.text", languages, errors)
    if kind in ("single", "multiple"):
        question["choices"] = _choices(q.get("choices"), f"{where}.choices", languages, errors)
        question["other"] = bool(q.get("other"))
    condition = _condition(q.get("show_if"), f"{where}.show_if", seen, errors)
    if condition is not None:
        question["show_if"] = condition
    return question


def shown(question: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Whether the question is asked, given the answers so far (branching)."""
    condition = question.get("show_if")
    if not condition:
        return True
    given = answers.get(condition["key"])
    if condition["op"] == "answered":
        return given not in (None, "", [])
    if given is None:
        return False
    value = condition["value"]
    if condition["op"] == "in":
        return given in value or (isinstance(given, list) and bool(set(given) & set(value)))
    if condition["op"] == "eq":
        return bool(given == value)
    if not isinstance(given, int | float):
        return False
    return bool(given <= value if condition["op"] == "lte" else given >= value)


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _answer(question: Mapping[str, Any], value: Any) -> tuple[Any, str]:
    """The normalised answer, or an error message."""
    kind = question["kind"]
    if kind in SCALES:
        low, high = SCALES[kind]
        number = _number(value)
        if number is None or not low <= number <= high:
            return None, f"must be a whole number from {low} to {high}"
        return number, ""
    if kind == "text":
        if not isinstance(value, str):
            return None, "must be a string"
        text = unicodedata.normalize("NFC", value).replace("\x00", "").strip()
        if len(text) > MAX_TEXT:
            return None, f"must be at most {MAX_TEXT:,} characters"
        return text, ""
    if kind == "hidden":
        return None, "is filled from the link, not answered"
    keys = {c["key"] for c in question["choices"]}
    picked = value if kind == "multiple" and isinstance(value, list) else [value]
    if kind == "single" and isinstance(value, list):
        return None, "takes one choice"
    chosen: list[Any] = []
    for item in picked:
        if isinstance(item, str) and item in keys:
            chosen.append(item)
        elif (
            question.get("other")
            and isinstance(item, Mapping)
            and isinstance(item.get("other"), str)
        ):
            chosen.append({"other": item["other"].strip()[:MAX_LABEL]})
        else:
            return None, f"must be one of {', '.join(sorted(keys))}"
    return (chosen if kind == "multiple" else chosen[0]), ""


def check_answers(
    questions: Sequence[Mapping[str, Any]], given: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers normalised (empty ones dropped); raise ``SurveyInvalid`` keyed by question."""
    by_key = {q["key"]: q for q in questions}
    errors = _Errors({})
    clean: dict[str, Any] = {}
    for key, value in given.items():
        question = by_key.get(key)
        if question is None:
            errors.add(key, "is not a question of this survey")
            continue
        if value in (None, "", []):
            clean[key] = None  # cleared
            continue
        answer, problem = _answer(question, value)
        if problem:
            errors.add(key, problem)
        else:
            clean[key] = answer
    if errors.fields:
        raise SurveyInvalid(errors.fields)
    return clean


def missing_required(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Required questions that are shown and not answered, keyed for a 422."""
    return {
        q["key"]: ["is required"]
        for q in questions
        if q["required"]
        and q["kind"] != "hidden"
        and shown(q, answers)
        and answers.get(q["key"]) in (None, "", [])
    }


def visible_answers(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers to questions still shown (a changed branch drops the others)."""
    kept: dict[str, Any] = {}
    for q in questions:
        value = answers.get(q["key"])
        if value not in (None, "", []) and shown(q, {**answers, **kept}):
            kept[q["key"]] = value
    return kept
