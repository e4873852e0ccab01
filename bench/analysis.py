"""Analysis benchmark: records/s through the whole engine pipeline, and the process's RSS.

    .venv/bin/python bench/analysis.py [--records 20000] [--batch 200] [--meaning]

Texts are a mix of Korean, English and mixed customer feedback of varied length, assigned to
the starter taxonomy. Without ``--meaning``: the labels pass the worker runs as records arrive;
with it, sentence embeddings and topics by meaning too (what the meaning pass adds). Prints
one JSON object; docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pipeline import TextIn, analyze, tokens_for
from soriloop.analysis.engine.store import MODELS
from soriloop.analysis.engine.topics import TopicSpec, compile_topics
from soriloop.analysis.starter import STARTER_TOPICS

PARTS = [
    "배송이 생각보다 빨라서 좋았어요", "앱이 결제 단계에서 자꾸 꺼져요 ㅠㅠ", "상담원분이 친절하게 안내해 주셨어요",
    "환불 요청한 지 2주째인데 아직이에요", "The checkout page keeps timing out on mobile",
    "Support fixed my issue in minutes, thanks!", "가격 대비 품질은 괜찮은데 사이즈가 작아요",
    "로그인할 때마다 인증번호를 다시 받아야 해요", "010-1234-5678로 연락 주세요", "UI가 너무 slow해요 please fix",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--meaning", action="store_true", help="embed and use topic meaning")
    args = parser.parse_args()
    rng = random.Random(11)
    texts = [
        " ".join(rng.choice(PARTS) for _ in range(rng.randint(1, 4))) for _ in range(args.records)
    ]
    started = time.perf_counter()
    MODELS.sentiment()
    specs = [
        TopicSpec(t["key"], t["key"], tuple(t["keywords"]), tuple(t["examples"]),
                  (t["name_ko"], t["name_en"]))
        for t in STARTER_TOPICS
    ]  # fmt: skip
    example_tokens = [
        tokens_for(list(s.examples), [detect_language(e).language for e in s.examples])
        for s in specs
    ]
    topics = compile_topics(specs, example_tokens, meaning=args.meaning)
    # a Korean and an English text: Kiwi and lingua load their models on first use, a cost of
    # the start (load_seconds), not of each record (lingua's alone took 2-3 s of a 20 s run)
    analyze([TextIn("워밍업"), TextIn("warm up")], topics=topics, meaning=args.meaning)
    load = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(texts), args.batch):
        batch = [TextIn(t) for t in texts[i : i + args.batch]]
        analyze(batch, redact_pii=True, topics=topics, meaning=args.meaning)
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "records": args.records, "batch": args.batch, "meaning": args.meaning, "load_seconds": round(load, 2),
        "seconds": round(elapsed, 2), "records_per_s": round(args.records / elapsed), "max_rss_mb": round(rss_mb),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
