"""The team's customer-service dev sets (SORILOOP_CX_DEV_DIR: ko.jsonl, en.jsonl), the gate an
adapted sentiment head must pass: it is switched in only when it scores at least as well as
the shipped head on each of them. Read here, scored here, never trained on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from soriloop.analysis.engine.embed import ENCODER, Encoder
from soriloop.analysis.engine.pipeline import TextIn, analyze
from soriloop.analysis.engine.sentiment import LABELS, SentimentModel
from soriloop.analysis.engine.store import MODELS, ModelStore
from soriloop.analysis.training import score_sentiment

LANGUAGES = ("ko", "en")


class DevSetsMissing(Exception):
    """A dev set is missing or unreadable; the message says which and why."""


@dataclass(frozen=True)
class DevSet:
    language: str
    items: tuple[TextIn, ...]
    gold: tuple[str, ...]


Stamp = tuple[str, int, int]  # path, mtime, size of one file
_sets: dict[tuple[Stamp, ...], dict[str, DevSet]] = {}
_scores: dict[tuple[tuple[Stamp, ...], int, str, int, int], dict[str, dict[str, Any]]] = {}


def _stamps(folder: Path) -> tuple[Stamp, ...]:
    found = []
    for language in LANGUAGES:
        path = folder / f"{language}.jsonl"
        try:
            stat = path.stat()
        except OSError:
            raise DevSetsMissing(f"{path.name} not found in SORILOOP_CX_DEV_DIR") from None
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _read(path: Path, language: str) -> DevSet:
    items, gold = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or row.get("label") not in LABELS or not row.get("text"):
                raise ValueError(f"line {number} has no text or no sentiment label")
            items.append(TextIn(str(row["text"])))
            gold.append(str(row["label"]))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DevSetsMissing(f"{path.name} is unreadable: {exc}") from None
    if not items:
        raise DevSetsMissing(f"{path.name} is empty")
    return DevSet(language, tuple(items), tuple(gold))


def cx_dev_sets() -> dict[str, DevSet]:
    """The dev sets by language, read once per version of the files; raises DevSetsMissing."""
    folder = Path(settings.CX_DEV_DIR)
    stamps = _stamps(folder)
    if stamps not in _sets:
        _sets.clear()
        _sets[stamps] = {lang: _read(folder / f"{lang}.jsonl", lang) for lang in LANGUAGES}
    return _sets[stamps]


def cx_scores(
    model: SentimentModel,
    *,
    remember: bool = False,
    encoder: Encoder = ENCODER,
    models: ModelStore = MODELS,
) -> dict[str, dict[str, Any]]:
    """``model``'s accuracy and macro-F1 on each dev set (``{"ko": {"n", "accuracy",
    "macro_f1"}, "en": ...}``), read with meaning by ``encoder`` and the other heads of
    ``models``; with ``remember`` (the shipped head, scored on every adaptation) kept for as
    long as the files and the objects read with stay the same. Raises DevSetsMissing."""
    sets = cx_dev_sets()
    key = (_stamps(Path(settings.CX_DEV_DIR)), id(model), model.version, id(encoder), id(models))
    if remember and key in _scores:
        return _scores[key]
    found = {}
    for language, dev in sets.items():
        results = analyze(dev.items, model=model, meaning=True, encoder=encoder, models=models)
        scored = score_sentiment(list(dev.gold), results)
        found[language] = {k: scored[k] for k in ("n", "accuracy", "macro_f1")}
    if remember:
        _scores[key] = found
    return found
