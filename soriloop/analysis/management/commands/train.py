"""soriloop train: fit the sentiment head from ../shared/data and write its weights."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.accounts.selectors import workspace_find
from soriloop.analysis.adapt import adapt_workspace
from soriloop.analysis.engine.features import featurize
from soriloop.analysis.engine.pipeline import (
    ABUSE_FILE,
    SENTIMENT_FILE,
    TextIn,
    analyze,
    tokens_for,
)
from soriloop.analysis.engine.sentiment import SentimentModel
from soriloop.analysis.training import (
    DEFAULT_DATA,
    abuse_splits,
    fit_abuse,
    fit_sentiment,
    score_sentiment,
    scores,
    sentiment_splits,
)


def evaluate(model: SentimentModel, dev: dict[str, list[Any]]) -> dict[str, Any]:
    """Dev scores: binary sets with neutral excluded, 3-class sets as they are."""
    report: dict[str, Any] = {}
    for name, examples in dev.items():
        started = time.perf_counter()
        results = analyze([TextIn(e.text) for e in examples], model=model)
        elapsed = time.perf_counter() - started
        result = score_sentiment([e.label for e in examples], results)
        report[name] = {
            "n": result["n"],
            "accuracy": result["accuracy"],
            "macro_f1": result["macro_f1"],
            "texts_per_s": round(len(examples) / elapsed),
        }
    return report


class Command(BaseCommand):
    help = "Train the sentiment head from the shared training data; prints dev scores."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data", default=str(DEFAULT_DATA), help="folder of the training JSONL files"
        )
        parser.add_argument("--out", default=str(SENTIMENT_FILE))
        parser.add_argument("--abuse-out", default=str(ABUSE_FILE))
        parser.add_argument("--alpha", type=float, default=5e-7)
        parser.add_argument("--epochs", type=int, default=15)
        parser.add_argument(
            "--workspace",
            help="adapt this workspace's sentiment head and topics to its corrections and scored "
            "feedback instead",
        )

    def handle(
        self,
        *args: Any,
        data: str,
        out: str,
        abuse_out: str,
        alpha: float,
        epochs: int,
        workspace: str | None = None,
        **options: Any,
    ) -> None:
        if workspace:
            target = workspace_find(ident=workspace)
            if target is None:
                raise CommandError(f"no workspace {workspace!r}")
            adapted = adapt_workspace(workspace=target)
            self.stdout.write(json.dumps(adapted, ensure_ascii=False, indent=2))
            return
        folder = Path(data)
        if not (folder / "ko_sentiment_nsmc_train.jsonl").exists():
            raise CommandError(f"no training data in {folder} (see shared/data/README.md)")
        train, dev = sentiment_splits(folder)
        self.stderr.write(f"training on {len(train):,} examples")
        model = fit_sentiment(train, alpha=alpha, epochs=epochs)
        model.save(Path(out))
        report: dict[str, Any] = {
            "model": model.version,
            "train_examples": len(train),
            "dev": evaluate(model, dev),
        }
        abuse_train, abuse_dev = abuse_splits(folder)
        abuse = fit_abuse(abuse_train)
        abuse.save(Path(abuse_out))
        tokens = tokens_for([e.text for e in abuse_dev], ["ko"] * len(abuse_dev))
        predicted = [
            "abusive" if abuse.predict(e.text, featurize(e.text, t)).abusive else "not_abusive"
            for e, t in zip(abuse_dev, tokens, strict=True)
        ]
        result = scores([e.label for e in abuse_dev], predicted, ["abusive", "not_abusive"])
        report["abuse"] = {"model": abuse.version, "train_examples": len(abuse_train), "dev_n": result["n"],
                           "accuracy": result["accuracy"], "abusive": result["per_class"]["abusive"]}  # fmt: skip
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
