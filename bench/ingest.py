"""Ingest benchmark: single-record POST throughput and latency, and bulk import rows/s.

    .venv/bin/python bench/ingest.py [--seconds 15] [--connections 32] [--rows 1000000]

Runs everything on 127.0.0.1 in a throwaway data folder: Soriloop under `soriloop serve`
(granian, WSGI, 2 workers, plus the task worker), a bare Django insert endpoint under the same
granian settings, load from wrk (Debian package `wrk`), then a CSV of --rows rows through
`soriloop import`. Prints one JSON object; docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TEXTS = [
    "배송이 생각보다 빨라서 좋았어요. 포장도 꼼꼼했습니다.",
    "앱이 자꾸 꺼져서 결제를 못 하겠어요 ㅠㅠ",
    "The checkout page keeps timing out on mobile.",
    "상담원분이 친절하게 환불 절차를 알려주셨어요",
    "Great product, but the price went up again.",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


# wrk's Lua hook that prints the run as one JSON line (and per-status counts a script tallies)
REPORT = (
    "done = function(summary, latency, requests)\n"
    '  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %.3f, \\"non2xx\\": %d, '
    '\\"errors\\": %d, \\"p50_ms\\": %.2f, \\"p90_ms\\": %.2f, \\"p95_ms\\": %.2f, '
    '\\"p99_ms\\": %.2f}\\n", summary.requests, summary.duration / 1e6, summary.errors.status, '
    "summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, "
    "latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000, "
    "latency:percentile(99) / 1000))\n"
    "  if tally then tally() end\n"
    "end\n"
)


def wrk_script(url: str, script: str, seconds: int, connections: int) -> dict[str, Any]:
    """Run wrk against ``url`` with a Lua ``script``; its figures, with ``CODE <status> <n>``
    lines the script prints gathered as ``statuses``."""
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(script + REPORT, encoding="utf-8")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(path), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    path.unlink()
    found = re.search(r"^JSON (.*)$", out, re.M)
    assert found is not None, out
    result: dict[str, Any] = json.loads(found.group(1))
    codes: dict[str, int] = {}
    for code, n in re.findall(r"^CODE (\d+) (\d+)$", out, re.M):
        codes[code] = codes.get(code, 0) + int(n)
    if codes:
        result["statuses"] = codes
    result["req_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def wrk(url: str, body: dict, headers: dict[str, str], seconds: int, connections: int) -> dict:
    """POST the same JSON ``body`` as fast as ``connections`` connections can."""
    header_lines = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    script = (
        'wrk.method = "POST"\n'
        f"wrk.body = [[{json.dumps(body, ensure_ascii=False)}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n' + header_lines
    )
    return wrk_script(url, script, seconds, connections)


def serve_soriloop(env: dict[str, str], port: int, threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "soriloop.cli", "serve", "--port", str(port), "--threads", str(threads)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def serve_bare(db: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, BARE_DB=str(db), PYTHONPATH=str(ROOT))
    subprocess.run(
        [PYTHON, "-c", "from bench.bare.app import create_table; create_table()"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return subprocess.Popen(
        [PYTHON, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--blocking-threads", "4", "--backpressure", "64", "--no-ws",
         "--log-level", "warning", "bench.bare.app:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def demo_workspace(prefix: str) -> tuple[Path, dict[str, str], str]:
    """A throwaway data folder with the demo workspace: (folder, environment, API key)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # Far past the API's default per-key rate limit on purpose: counted, never refused.
    env.update(
        SORILOOP_DATA_DIR=str(work),
        LOG_LEVEL="WARNING",
        API_RATE_PER_KEY="1000000000",
        API_RATE_PER_WORKSPACE="1000000000",
    )
    subprocess.run(
        [PYTHON, "-m", "soriloop.cli", "manage", "migrate", "-v0"], env=env, cwd=ROOT, check=True
    )
    demo = subprocess.run(
        [PYTHON, "-m", "soriloop.cli", "demo"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^api_key=(\S+)", demo, re.M)
    assert match is not None, demo
    return work, env, match.group(1)


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "review", "rating", "date", "user_id"])
        for i in range(rows):
            writer.writerow([f"r{i}", f"{rng.choice(TEXTS)} #{i}", rng.randint(1, 5),
                             f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", f"u{rng.randint(1, 50_000)}"])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2, help="request threads per web worker")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work, env, key = demo_workspace("soriloop-bench-")
    results: dict[str, object] = {
        "cpus": os.cpu_count(), "seconds": args.seconds, "connections": args.connections, "threads": args.threads,
    }  # fmt: skip

    port = free_port()
    server = serve_soriloop(env, port, args.threads)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        body = {
            "text": TEXTS[1],
            "score": 2,
            "score_kind": "csat",
            "channel": "api",
            "customer": {"email": "bench@example.com"},
        }
        wrk(
            f"http://127.0.0.1:{port}/api/v1/feedback",
            body,
            {"Authorization": f"Bearer {key}"},
            3,
            args.connections,
        )  # warm-up
        results["soriloop_post"] = wrk(
            f"http://127.0.0.1:{port}/api/v1/feedback",
            body,
            {"Authorization": f"Bearer {key}"},
            args.seconds,
            args.connections,
        )
    finally:
        stop(server)

    port = free_port()
    bare = serve_bare(work / "bare.sqlite3", port)
    try:
        time.sleep(2)
        wrk(f"http://127.0.0.1:{port}/insert", {"text": TEXTS[1]}, {}, 3, args.connections)
        results["bare_django_post"] = wrk(
            f"http://127.0.0.1:{port}/insert",
            {"text": TEXTS[1]},
            {},
            args.seconds,
            args.connections,
        )
    finally:
        stop(bare)

    if args.skip_import:
        print(json.dumps(results, indent=2))
        return
    csv_path = work / "reviews.csv"
    write_csv(csv_path, args.rows)
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "soriloop.cli", "import", str(csv_path), "--workspace", "1", "--quiet",
         "--map", "external_id=review_id,text=review,score=rating:5,received_at=date,customer_external_id=user_id"],
        env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    results["bulk_import"] = {
        "rows": args.rows,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(args.rows / elapsed),
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
