"""Topic accuracy: zero-shot classification into a custom taxonomy given only names,
keywords and 5 examples per topic, on customer-support questions (Banking77, CC BY 4.0).

    .venv/bin/python bench/topic_eval.py [--per-class 300]

Writes var/topic-eval/taxonomy.json (five topics from Banking77's coarse groups, keywords
written as a support lead would, 5 examples each drawn from the data) and dev.jsonl (other
rows of those groups, never the examples), then runs `soriloop eval topics` on them and
prints its JSON. Banking77's `other` group (77 intents minus these five) is left out: it
is not a topic anyone would name.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "en_intents_banking77_train.jsonl"

TOPICS = {
    "delivery": ("Card delivery", ["arrive", "arrived", "delivery", "delivered", "shipping",
                                   "tracking", "mail", "still waiting", "not received"]),
    "refund_cancellation": ("Refunds and cancellations", ["refund", "cancel", "cancelled",
                                                          "return", "reverse", "money back"]),
    "fees_price": ("Fees and exchange rates", ["fee", "fees", "charge", "charged", "exchange rate",
                                               "rate", "cost", "extra"]),
    "failure_bug": ("Failed or declined payments", ["declined", "failed", "not working", "pending",
                                                    "rejected", "error", "didn't go through", "stuck"]),
    "account_security": ("Account security", ["password", "pin", "passcode", "verify", "identity",
                                              "stolen", "compromised", "blocked", "locked"]),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=300)
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(77)
    rng.shuffle(rows)
    by_topic: dict[str, list[dict]] = {key: [] for key in TOPICS}
    for row in rows:
        if row["coarse"] in by_topic:
            by_topic[row["coarse"]].append(row)
    folder = ROOT / "var" / "topic-eval"
    folder.mkdir(parents=True, exist_ok=True)
    taxonomy = {
        "topics": [
            {"name": key, "label": name, "keywords": words,
             "examples": [r["text"] for r in by_topic[key][:5]]}
            for key, (name, words) in TOPICS.items()
        ]
    }  # fmt: skip
    (folder / "taxonomy.json").write_text(json.dumps(taxonomy, indent=2), encoding="utf-8")
    with open(folder / "dev.jsonl", "w", encoding="utf-8") as dev:
        for key, found in by_topic.items():
            for row in found[5 : 5 + args.per_class]:
                dev.write(json.dumps({"text": row["text"], "label": key, "lang": "en"}) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "soriloop.cli", "eval", "topics", str(folder / "dev.jsonl"),
         "--taxonomy", str(folder / "taxonomy.json")],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    print(result.stdout)


if __name__ == "__main__":
    main()
