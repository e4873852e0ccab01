"""The meaning pass's catch-up speed: records/s embedded and re-assigned to topics after a
burst was labelled without embeddings (docs/analysis.md, "The meaning pass").

    .venv/bin/python bench/meaning.py [--records 5000]

Runs in a throwaway data folder with the demo workspace: ingests ``--records`` texts of one
to four sentences (Korean, English, mixed), labels them in full batches (no embeddings, as
in a burst), then times ``meaning_run_batch`` until nothing is left. Prints one JSON object;
docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.analysis import PARTS
from bench.ingest import demo_workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    _work, env, _key = demo_workspace("soriloop-meaning-")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soriloop.settings")
    import django

    django.setup()
    from soriloop.accounts.models import Workspace
    from soriloop.analysis.meaning import meaning_run_batch
    from soriloop.analysis.models import Enrichment
    from soriloop.analysis.services import analysis_run_batch
    from soriloop.feedback.services import feedback_ingest
    from soriloop.feedback.validation import parse_feedback

    workspace = Workspace.objects.get()
    rng = random.Random(5)
    now = dt.datetime.now(dt.UTC)
    items = [
        parse_feedback(
            {"text": " ".join(rng.choice(PARTS) for _ in range(rng.randint(1, 4)))},
            channel="api", tz=ZoneInfo("Asia/Seoul"), now=now,
        )
        for _ in range(args.records)
    ]  # fmt: skip
    for start in range(0, len(items), 500):
        feedback_ingest(workspace=workspace, items=items[start : start + 500])
    while analysis_run_batch(owner="bench"):  # full batches of 200: labels only
        pass
    pending = Enrichment.objects.filter(vector=None).count()
    meaning_run_batch(owner="bench", limit=8)  # load the encoder and compile the taxonomy
    started = time.perf_counter()
    done = 0
    while batch := meaning_run_batch(owner="bench"):
        done += batch
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "records": args.records, "pending_after_labels": pending, "embedded": done + 8,
        "seconds": round(elapsed, 2), "records_per_s": round(done / elapsed),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
