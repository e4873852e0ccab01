"""Sentiment beside its peers: Soriloop, VADER and TextBlob on every dev set, in one run.

    .venv/bin/python bench/sentiment_peers.py [--data ../shared/data] [--limit 1500]

The dev sets are the team's customer-service sets (testdata/cx; and without their neutral
rows, as a binary task) and the held-out 5% of each
training file (`soriloop train`'s split). Soriloop reads as the worker does (embedded,
blended); the peers are English-only lexicons, so their Korean rows are shown for
completeness. Prints a Markdown table for docs/analysis.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soriloop.settings")

import django

django.setup()

from soriloop.analysis.management.commands.eval import eval_sentiment  # noqa: E402
from soriloop.analysis.training import DEFAULT_DATA, cx_dev_sets, sentiment_splits  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=1500, help="rows per dev set at most")
    args = parser.parse_args()
    _train, dev = sentiment_splits(Path(args.data))
    cx = cx_dev_sets()
    binary = {
        f"{name}_binary": [e for e in rows if e.label != "neutral"] for name, rows in cx.items()
    }
    sets = cx | binary | dev
    print("| dev set | n | measure | Soriloop | VADER | TextBlob |")
    print("|---|---|---|---|---|---|")
    for name, examples in sets.items():
        rows = [{"text": e.text, "label": e.label} for e in examples[: args.limit]]
        report = eval_sentiment(rows, peers=True)
        # macro-F1 where all three labels occur; accuracy for binary sets and Banking77 (no
        # positive queries, so a macro over three would cap at 0.67)
        measure = "macro_f1" if len({r["label"] for r in rows}) == 3 else "accuracy"
        peers = report["peers"]
        print(
            f"| {name} | {report['n']:,} | {measure.replace('_', '-')} | **{report[measure]:.3f}** "
            f"| {peers['vader'][measure]:.3f} | {peers['textblob'][measure]:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
