"""Surveys benchmark: the respondent page under 200 concurrent respondents, answers stored
per second through single-use links, and a 10,000-invitation campaign through a local SMTP
receiver at the configured throttle.

    .venv/bin/python bench/surveys.py [--seconds 15] [--connections 200] [--invitations 10000]

Runs `soriloop serve` (granian, 2 web workers, plus the task worker that sends the e-mail)
on 127.0.0.1 in a throwaway data folder with the demo workspace; a bare Django page under the
same granian settings is the floor the respondent page is compared with, in the same run.
Load comes from wrk (Debian package `wrk`, installed by scripts/setup.sh), the SMTP receiver
is aiosmtpd in this process. Prints one JSON object; docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import (
    demo_workspace,
    free_port,
    serve_bare,
    serve_soriloop,
    stop,
    wait_http,
)
from bench.ingest import wrk_script as wrk

SURVEY = {
    "name": "벤치 NPS",
    "touchpoint": "checkout",
    "languages": ["ko", "en"],
    "questions": [
        {"key": "nps", "kind": "nps", "required": True,
         "text": {"ko": "추천하시겠어요?", "en": "Would you recommend us?"}},
        {"key": "why", "kind": "text", "text": {"ko": "이유를 알려주세요", "en": "Why?"}},
    ],
}  # fmt: skip


def api(base: str, key: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"null")


class Sink:
    """Counts what the local SMTP receiver accepted: every recipient, with its repeats."""

    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.times: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
            self.times.extend(time.monotonic() for _ in envelope.rcpt_tos)
        return "250 OK"


def busiest_minute(times: list[float]) -> int:
    """The most messages received in any 60 s window."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 60:
            start += 1
        best = max(best, end - start + 1)
    return best


def page_load(link: str, bare_url: str, seconds: int, connections: int) -> dict:
    """The public link's page as a first-time respondent gets it, against the bare page:
    ``connections`` respondents each reading a page for 1-3 s before the next one (the
    budget's "200 concurrent respondents"), and the same connections with no pause at all
    (the most the page can serve)."""
    script = 'wrk.headers["Accept-Language"] = "ko-KR,ko;q=0.9"\n'
    reading = script + "delay = function() return math.random(1000, 3000) end\n"
    wrk(link, script, 3, connections)  # warm-up
    return {
        "respondents": wrk(link, reading, seconds, connections),
        "bare_respondents": wrk(bare_url, reading, seconds, connections),
        "flat_out": wrk(link, script, seconds, connections),
        "bare_flat_out": wrk(bare_url, script, seconds, connections),
    }


def answers_load(base: str, links: list[str], seconds: int, connections: int) -> dict:
    """Final answers POSTed to single-use links, each link once (two wrk threads take
    alternate links), as JSON through the page's own endpoint."""
    paths = [urlsplit(link).path.rstrip("/") + "/answers" for link in links]
    table = ",".join(f'"{p}"' for p in paths)
    body = json.dumps({"answers": {"nps": 3, "why": "배송이 너무 늦어요"}, "final": True},
                      ensure_ascii=False)  # fmt: skip
    script = (
        f"paths = {{{table}}}\n"
        "n = 0\n"
        "init = function(args) i = (id or 0) + 1 end\n"
        "request = function()\n"
        "  local p = paths[i]; i = i + 2\n"
        "  if p == nil then p = paths[1] end\n"
        f'  return wrk.format("POST", p, {{["Content-Type"] = "application/json"}}, [[{body}]])\n'
        "end\n"
        "threads = {}\n"
        "setup = function(thread) thread:set('id', n); n = n + 1; table.insert(threads, thread) end\n"
        "codes = {}\n"
        "response = function(status, headers, body)\n"
        "  local k = 'c' .. status; _G[k] = (_G[k] or 0) + 1\n"
        "end\n"
        "tally = function()\n"
        "  for _, t in ipairs(threads) do for _, c in ipairs({200, 409, 413, 422, 429, 500, 502, 503}) do\n"
        "    local v = t:get('c' .. c); if v then io.write(string.format('CODE %d %d\\n', c, v)) end\n"
        "  end end\n"
        "end\n"
    )
    return wrk(f"{base}/", script, seconds, connections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--answer-connections", type=int, default=32)
    parser.add_argument("--links", type=int, default=30_000, help="single-use links to answer")
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--mail-per-minute", type=int, default=12_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: scripts/setup.sh installs it (apt-get install wrk)")

    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    work, env, key = demo_workspace("soriloop-bench-surveys-")
    env.update(
        # counted, never refused: the bench is one IP answering for many respondents
        SURVEY_RATE_PER_IP="1000000000",
        SURVEY_MAIL_PER_MINUTE=str(args.mail_per_minute),
        SURVEY_QUIET_HOURS="",
        SURVEY_FATIGUE_GAP_DAYS="0",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
    )
    results: dict[str, Any] = {"connections": args.connections, "seconds": args.seconds}
    port, bare_port = free_port(), free_port()
    server = serve_soriloop(env, port, 2)
    bare = serve_bare(work / "bare.sqlite3", bare_port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz")
        wait_http(f"http://127.0.0.1:{bare_port}/page")
        survey = api(base, key, "POST", "/surveys", SURVEY)
        api(base, key, "POST", f"/surveys/{survey['id']}/publish")
        results["respondent_page"] = page_load(
            survey["public_link"].replace(urlsplit(survey["public_link"]).netloc,
                                                f"127.0.0.1:{port}"),
            f"http://127.0.0.1:{bare_port}/page", args.seconds, args.connections,
        )  # fmt: skip

        started = time.monotonic()
        links: list[str] = []
        for first in range(0, args.links, 1000):
            recipients = [{"email": f"answer{i}@bench.example"}
                          for i in range(first, min(first + 1000, args.links))]  # fmt: skip
            made = api(base, key, "POST", f"/surveys/{survey['id']}/invitations",
                       {"recipients": recipients, "send": "none"})  # fmt: skip
            links += [item["link"] for item in made["invitations"]]
        results["links_made_per_s"] = round(len(links) / (time.monotonic() - started))
        load = answers_load(base, links, min(args.seconds, 20), args.answer_connections)
        results["answers"] = load
        db = sqlite3.connect(work / "soriloop.sqlite3")
        finished = db.execute(
            "select count(*) from surveys_response where finished_at is not null"
        ).fetchone()[0]
        records = db.execute(
            "select count(*) from feedback_feedback where source like 'survey-%'"
        ).fetchone()[0]
        results["answers"]["finished_responses"] = finished
        results["answers"]["feedback_records"] = records
        results["answers"]["stored_per_s"] = round(finished / load["seconds"], 1)

        campaign_survey = api(base, key, "POST", "/surveys", {**SURVEY, "name": "벤치 캠페인"})
        api(base, key, "POST", f"/surveys/{campaign_survey['id']}/publish")
        started = time.monotonic()
        recipients = [{"email": f"mail{i}@bench.example"} for i in range(args.invitations)]
        made = api(base, key, "POST", f"/surveys/{campaign_survey['id']}/campaigns",
                   {"name": "bench", "recipients": recipients})  # fmt: skip
        queued_s = time.monotonic() - started
        deadline = started + 3 * 60 * args.invitations / args.mail_per_minute + 120
        while len(sink.recipients) < args.invitations and time.monotonic() < deadline:
            time.sleep(0.5)
        took = time.monotonic() - started
        progress = api(base, key, "GET", f"/surveys/{campaign_survey['id']}/campaigns/{made['id']}")
        results["campaign"] = {
            "invitations": args.invitations,
            "throttle_per_minute": args.mail_per_minute,
            "queued_in_s": round(queued_s, 1),
            "received": len(sink.recipients),
            "distinct": len(set(sink.recipients)),
            "sent": progress["sent"],
            "seconds": round(took, 1),
            "per_minute": round(len(sink.recipients) / took * 60),
            "busiest_minute": busiest_minute(sink.times),
        }
    finally:
        stop(server)
        stop(bare)
        controller.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
