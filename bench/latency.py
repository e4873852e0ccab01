"""Submit-to-analysed latency: records POSTed at a steady rate, each timed from its commit
(`created_at`) to its analysis (`analyzed_at`), and to its count on the dashboard rollups.

    .venv/bin/python bench/latency.py [--rate 200] [--seconds 30]

Runs `soriloop serve` (web + worker) on 127.0.0.1 in a throwaway data folder, paces single
POSTs from 16 client threads on kept-alive connections, then reads the timestamps from the
database. Prints one JSON
object; docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import TEXTS, demo_workspace, free_port, serve_soriloop, stop, wait_http


def post_paced(url: str, key: str, rate: int, seconds: int, threads: int = 16) -> int:
    """POST one record every 1/rate s (spread over ``threads``, each on one kept-alive
    connection, so the client spends its CPU on requests, not on connecting); returns how
    many went."""
    sent = [0]
    lock = threading.Lock()
    start = time.monotonic()
    total = rate * seconds
    target = urllib.parse.urlsplit(url)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        for i in range(offset, total, threads):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body = json.dumps({"text": TEXTS[i % len(TEXTS)], "external_id": f"lat-{i}"})
            try:
                connection.request("POST", target.path, body.encode(), headers)
                response = connection.getresponse()
            except (http.client.HTTPException, OSError):  # the server closed it: reconnect
                connection.close()
                connection.request("POST", target.path, body.encode(), headers)
                response = connection.getresponse()
            response.read()
            if response.status == 201:
                with lock:
                    sent[0] += 1
        connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sent[0]


def caught_up(path: Path, timeout: float = 600) -> None:
    """Wait until the worker has analysed and embedded every record: steady state, not the
    demo data's backlog, is what is measured."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db = sqlite3.connect(path, timeout=30)
        try:
            pending = db.execute(
                "SELECT (SELECT count(*) FROM feedback_feedback WHERE analysis_state = 'pending')"
                " + (SELECT count(*) FROM analysis_enrichment WHERE vector IS NULL)"
            ).fetchone()[0]
        finally:
            db.close()
        if not pending:
            return
        time.sleep(1)
    raise SystemExit("the worker did not catch up with the demo data")


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000),
        "max_ms": round(ordered[-1] * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="records per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    args = parser.parse_args()
    work, env, key = demo_workspace("soriloop-latency-")
    port = free_port()
    server = serve_soriloop(env, port, threads=2)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        caught_up(work / "soriloop.sqlite3")  # the demo records are analysed and embedded first
        started = time.time()
        sent = post_paced(
            f"http://127.0.0.1:{port}/api/v1/feedback", key, args.rate, args.seconds, args.threads
        )
        posting = time.time() - started
        time.sleep(5)  # let the last ones finish
    finally:
        stop(server)
    db = sqlite3.connect(work / "soriloop.sqlite3")
    rows = db.execute(
        "SELECT julianday(e.analyzed_at) - julianday(f.created_at) FROM feedback_feedback f "
        "JOIN analysis_enrichment e ON e.feedback_id = f.id WHERE f.external_id LIKE 'lat-%'"
    ).fetchall()
    waiting = db.execute(
        "SELECT count(*) FROM feedback_feedback WHERE external_id LIKE 'lat-%' AND analysis_state != 'done'"
    ).fetchone()[0]
    latencies = [r[0] * 86400 for r in rows]
    print(json.dumps({
        "rate_per_s": args.rate, "seconds": args.seconds, "sent": sent,
        "achieved_per_s": round(sent / posting, 1),
        "analysed": len(latencies), "not_analysed": waiting,
        "submit_to_analysed": percentiles(latencies),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
