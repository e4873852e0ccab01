"""soriloop eval sentiment FILE.jsonl: score the shipped model on someone else's data."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.analysis.engine.kinds import TYPES
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pipeline import TextIn, analyze, tokens_for
from soriloop.analysis.engine.sentiment import LABELS
from soriloop.analysis.engine.topics import CompiledTopic, TopicSpec, compile_topics
from soriloop.analysis.starter import STARTER_TOPICS
from soriloop.analysis.training import multilabel_report, score_sentiment, scores

TASKS = ("sentiment", "type", "topics", "abuse")


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise CommandError(f"{path}:{number}: not JSON: {exc}") from exc
            if not isinstance(row, dict) or "text" not in row or "label" not in row:
                raise CommandError(f'{path}:{number}: each line needs "text" and "label"')
            rows.append(row)
    if not rows:
        raise CommandError(f"{path}: no rows")
    return rows


def eval_sentiment(rows: list[dict[str, Any]], *, peers: bool = False) -> dict[str, Any]:
    """Scores of the shipped model (with meaning, as the worker runs it) and, with ``peers``,
    of VADER and TextBlob on the same rows under ``"peers"``."""
    gold = [str(r["label"]).lower() for r in rows]
    unknown = sorted(set(gold) - set(LABELS))
    if unknown:
        raise CommandError(f"unknown sentiment labels {unknown}: use {', '.join(LABELS)}")
    results, speed = _timed(rows)
    report = score_sentiment(gold, results)
    report["texts_per_s"] = round(speed, 1)
    report["model_version"] = results[0].model_version
    if peers:
        report["peers"] = _peer_scores(gold, [str(r["text"]) for r in rows])
    return report


def _peer_scores(gold: list[str], texts: list[str]) -> dict[str, Any]:
    try:
        from soriloop.analysis.peers import PEERS, peer_labels
    except ImportError as exc:  # pragma: no cover - they are in requirements.lock
        raise CommandError(f"--peers needs vaderSentiment and textblob: {exc}") from exc
    binary = "neutral" not in gold
    labels = ["negative", "positive"] if binary else list(LABELS)
    found = {}
    for name in PEERS:
        report = scores(gold, peer_labels(name, texts, binary=binary), labels)
        found[name] = {k: report[k] for k in ("n", "accuracy", "macro_f1", "per_class")}
    return found


def _timed(
    rows: list[dict[str, Any]], topics: Sequence[CompiledTopic] = ()
) -> tuple[list[Any], float]:
    started = time.perf_counter()
    results = analyze([TextIn(str(r["text"])) for r in rows], topics=topics, meaning=True)
    return results, len(rows) / (time.perf_counter() - started)


def _gold_sets(rows: list[dict[str, Any]], field: str) -> list[set[str]]:
    """Each row's labels for a multi-label task: ``field`` when the row has it (a dev set
    that labels sentiment, types and topics at once), else ``label``; one value or a list."""
    found = []
    for r in rows:
        value = r.get(field, r["label"])
        found.append({str(x) for x in (value if isinstance(value, list) else [value])})
    return found


def eval_type(rows: list[dict[str, Any]], labels: list[str] | None = None) -> dict[str, Any]:
    """Multi-label: each row's label is a type or a list of types."""
    gold = [{x.lower() for x in g} for g in _gold_sets(rows, "types")]
    unknown = sorted(set().union(*gold) - set(TYPES))
    if unknown:
        raise CommandError(f"unknown types {unknown}: use {', '.join(TYPES)}")
    results, speed = _timed(rows)
    predicted = [{t.name for t in a.types} for a in results]
    report = multilabel_report(gold, predicted, labels or list(TYPES))
    return report | {"texts_per_s": round(speed, 1), "model_version": results[0].model_version}


def read_taxonomy(path: Path) -> list[TopicSpec]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        specs = [
            TopicSpec(
                str(t["name"]),
                str(t["name"]),
                tuple(t.get("keywords", [])),
                tuple(t.get("examples", [])),
                tuple(str(n) for n in (t["name"], t.get("label")) if n),
            )
            for t in data["topics"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(
            f'{path}: expected {{"topics": [{{"name", "keywords", "examples"}}]}}: {exc}'
        ) from exc
    if not specs:
        raise CommandError(f"{path}: no topics")
    return specs


def starter_specs() -> list[TopicSpec]:
    """The starter taxonomy a new workspace begins with (for dev sets labelled with its keys)."""
    return [
        TopicSpec(
            t["key"], t["key"], tuple(t["keywords"]), tuple(t["examples"]),
            (t["name_ko"], t["name_en"]),
        )
        for t in STARTER_TOPICS
    ]  # fmt: skip


def eval_topics(
    rows: list[dict[str, Any]], taxonomy: Path | None, labels: list[str] | None = None
) -> dict[str, Any]:
    """Zero-shot classification into the file's taxonomy (names, keywords, examples only)."""
    specs = read_taxonomy(taxonomy) if taxonomy else starter_specs()
    names = [s.key for s in specs]
    gold = _gold_sets(rows, "topics")
    unknown = sorted(set().union(*gold) - set(names))
    if unknown:
        raise CommandError(f"labels not in the taxonomy: {unknown}")
    example_tokens = [
        tokens_for(list(s.examples), [detect_language(e).language for e in s.examples])
        for s in specs
    ]
    compiled = compile_topics(specs, example_tokens, meaning=True)
    results, speed = _timed(rows, compiled)
    predicted = [{m.key for m in a.topics} for a in results]
    report = multilabel_report(gold, predicted, labels or names)
    report["unassigned"] = sum(1 for p in predicted if not p)
    return report | {"texts_per_s": round(speed, 1), "model_version": results[0].model_version}


def eval_abuse(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def label(raw: Any) -> str:
        text = str(raw).lower()
        if text in {"abusive", "true", "1", "yes"}:
            return "abusive"
        if text in {"not_abusive", "false", "0", "no", "clean"}:
            return "not_abusive"
        raise CommandError(f"unknown abuse label {raw!r}: use abusive or not_abusive")

    gold = [label(r["label"]) for r in rows]
    results, speed = _timed(rows)
    report = scores(
        gold,
        ["abusive" if a.abuse.abusive else "not_abusive" for a in results],
        ["abusive", "not_abusive"],
    )
    return report | {"texts_per_s": round(speed, 1), "model_version": results[0].model_version}


class Command(BaseCommand):
    help = 'Evaluate a model on a JSONL file of {"text", "label", "lang"?} rows; prints JSON.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=TASKS)
        parser.add_argument("file")
        parser.add_argument(
            "--taxonomy",
            default=None,
            help='for topics: {"topics": [{"name", "keywords", "examples"}]} (default: the '
            "starter taxonomy)",
        )
        parser.add_argument(
            "--peers", action="store_true", help="for sentiment: score VADER and TextBlob too"
        )
        parser.add_argument(
            "--labels", default="", help="only score these labels (comma-separated)"
        )

    def handle(
        self,
        *args: Any,
        task: str,
        file: str,
        taxonomy: str | None,
        labels: str,
        peers: bool = False,
        **options: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        rows = read_rows(path)
        chosen = [label.strip() for label in labels.split(",") if label.strip()] or None
        if task == "topics":
            report = eval_topics(rows, Path(taxonomy) if taxonomy else None, chosen)
        elif task == "type":
            report = eval_type(rows, chosen)
        elif task == "abuse":
            report = eval_abuse(rows)
        else:
            report = eval_sentiment(rows, peers=peers)
        self.stdout.write(json.dumps(report, ensure_ascii=False))
