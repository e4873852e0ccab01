"""soriloop train: fit the sentiment head from ../shared/data and write its weights."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.accounts.selectors import workspace_find
from soriloop.analysis.adapt import adapt_workspace
from soriloop.analysis.engine.embed import embed
from soriloop.analysis.engine.features import featurize
from soriloop.analysis.engine.kinds import type_cues
from soriloop.analysis.engine.pipeline import TextIn, analyze, tokens_for
from soriloop.analysis.engine.sentiment import MeaningHead, SentimentModel
from soriloop.analysis.engine.store import ABUSE_FILE, MEANING_FILE, SENTIMENT_FILE
from soriloop.analysis.training import (
    CX_SOURCES,
    DEFAULT_DATA,
    abuse_splits,
    blend_shares,
    cx_dev_sets,
    domain_movies,
    fit_abuse,
    fit_domain,
    fit_meaning,
    fit_sentiment,
    meaning_sample,
    score_sentiment,
    scores,
    sentiment_splits,
)
from soriloop.customers.risk import churn_model_json, churn_model_train


def evaluate(
    model: SentimentModel, dev: dict[str, list[Any]], head: MeaningHead | None = None
) -> dict[str, Any]:
    """Dev scores: binary sets with neutral excluded, 3-class sets as they are; with a meaning
    ``head``, as the worker reads them (embedded, blended)."""
    report: dict[str, Any] = {}
    for name, examples in dev.items():
        started = time.perf_counter()
        results = analyze(
            [TextIn(e.text) for e in examples], model=model, meaning=head is not None, head=head
        )
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
        parser.add_argument("--meaning-out", default=str(MEANING_FILE))
        parser.add_argument(
            "--meaning-only",
            action="store_true",
            help="keep the hashed head in --out and train only the meaning head (and abuse)",
        )
        parser.add_argument("--alpha", type=float, default=5e-7)
        parser.add_argument("--epochs", type=int, default=15)
        parser.add_argument(
            "--churn",
            metavar="WORKSPACE",
            help="train this workspace's churn model instead (docs/customers.md); prints its "
            "held-out AUC, calibration and whether it is used",
        )
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
        meaning_out: str,
        alpha: float,
        epochs: int,
        workspace: str | None = None,
        meaning_only: bool = False,
        churn: str | None = None,
        **options: Any,
    ) -> None:
        if churn:
            self._train_churn(churn)
            return
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
        dev |= cx_dev_sets()
        if meaning_only:
            model = SentimentModel.load(Path(out))
        else:
            self.stderr.write(f"training on {len(train):,} examples")
            model = fit_sentiment(train, alpha=alpha, epochs=epochs)
            model.save(Path(out))
        head = self._fit_meaning(model, train, dev)
        head.save(Path(meaning_out))
        report: dict[str, Any] = {
            "model": model.version,
            "meaning_head": head.version,
            "blend": head.blend,
            "train_examples": len(train),
            "dev": evaluate(model, dev, head),
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

    def _train_churn(self, ident: str) -> None:
        target = workspace_find(ident=ident)
        if target is None:
            raise CommandError(f"no workspace {ident!r}")
        self.stdout.write(
            json.dumps(churn_model_json(churn_model_train(workspace=target)), indent=2)
        )

    def _fit_meaning(
        self, model: SentimentModel, train: list[Any], dev: dict[str, list[Any]]
    ) -> MeaningHead:
        """The head over sentence embeddings and type cues, its domain gate, and its share of
        the blend per language chosen on the customer-service dev sets (the hashed head alone
        where they are missing)."""
        sample = meaning_sample(train)
        movies = domain_movies(train)
        self.stderr.write(f"embedding {len(sample) + len(movies):,} texts for the meaning head")
        vectors = embed([e.text for e in sample])
        weights, bias = fit_meaning(sample, vectors)
        customer = np.array([e.source in CX_SOURCES for e in sample] + [False] * len(movies))
        domain = fit_domain(np.vstack([vectors, embed([e.text for e in movies])]), customer)
        # blend 1 everywhere while tuning, so head.share() is the domain gate alone
        head = MeaningHead(weights, bias, {"*": 1.0}, f"mh-lr-{time.strftime('%Y%m%d')}", domain)
        tuned = {name: dev[name] for name in ("cx_ko", "cx_en") if name in dev}
        hashed, meaning, gates, gold = {}, {}, {}, {}
        for name, examples in tuned.items():
            texts = [e.text for e in examples]
            found = analyze([TextIn(t) for t in texts], model=model)
            hashed[name] = np.array([a.sentiment.probabilities for a in found])
            rows = embed(texts)
            meaning[name] = np.array(
                [head.probabilities(v, type_cues(t)) for v, t in zip(rows, texts, strict=True)]
            )
            gates[name] = np.array([head.share("*", v) for v in rows])
            gold[name] = [e.label for e in examples]
        shares = blend_shares(hashed, meaning, gates, gold)
        head.blend = {"ko": shares.get("cx_ko", 0.0), "en": shares.get("cx_en", 0.0)}
        head.blend["*"] = head.blend["en"]
        return head
