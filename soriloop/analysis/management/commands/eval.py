"""soriloop eval sentiment FILE.jsonl: score the shipped model on someone else's data."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.analysis.engine.pipeline import TextIn, analyze
from soriloop.analysis.engine.sentiment import LABELS
from soriloop.analysis.training import score_sentiment

TASKS = ("sentiment",)


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


def eval_sentiment(rows: list[dict[str, Any]]) -> dict[str, Any]:
    gold = [str(r["label"]).lower() for r in rows]
    unknown = sorted(set(gold) - set(LABELS))
    if unknown:
        raise CommandError(f"unknown sentiment labels {unknown}: use {', '.join(LABELS)}")
    started = time.perf_counter()
    results = analyze([TextIn(str(r["text"])) for r in rows])
    elapsed = time.perf_counter() - started
    report = score_sentiment(gold, results)
    report["texts_per_s"] = round(len(rows) / elapsed, 1)
    report["model_version"] = results[0].model_version
    return report


class Command(BaseCommand):
    help = 'Evaluate a model on a JSONL file of {"text", "label", "lang"?} rows; prints JSON.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=TASKS)
        parser.add_argument("file")

    def handle(self, *args: Any, task: str, file: str, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        report = eval_sentiment(read_rows(path))
        self.stdout.write(json.dumps(report, ensure_ascii=False))
