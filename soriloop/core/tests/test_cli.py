"""The README's first command: `soriloop serve --demo` on a fresh SQLite folder."""

import contextlib
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from soriloop.accounts.models import ApiKey, Membership
from soriloop.conftest import free_port


def test_demo_prints_a_working_sign_in_and_key(db: None, capsys) -> None:
    call_command("demo")
    first = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert first["email"] == "demo@soriloop.local"
    assert first["api_key"].startswith("sl_")
    call_command("demo")
    second = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert second["password"] != first["password"], "refresh gives a fresh password"
    assert Membership.objects.filter(user__email="demo@soriloop.local").count() == 1
    live = ApiKey.objects.filter(name="demo", revoked_at__isnull=True)
    assert live.count() == 1, "the previous demo key is revoked"
    assert live.get().personal_data, "the owner's key shows what the owner sees"
    workspace = live.get().workspace
    channels = set(workspace.feedback.values_list("channel", flat=True))
    assert workspace.feedback.count() == 480, "sample feedback is loaded once"
    assert {"api", "widget", "email", "review", "phone"} <= channels
    states = set(workspace.feedback.values_list("analysis_state", flat=True))
    assert states == {"done"}, "the demo opens analysed"


def _get(opener: urllib.request.OpenerDirector, url: str, data: dict | None = None) -> str:
    body = urllib.parse.urlencode(data).encode() if data else None
    request = urllib.request.Request(url, data=body, headers={"Accept-Language": "en"})
    with opener.open(request, timeout=10) as response:
        return response.read().decode()


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the embedded default is SQLite")
def test_serve_demo_starts_web_and_worker_and_signs_in_in_korean(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SORILOOP_DATA_DIR=str(tmp_path), WORKER_HEARTBEAT_SECONDS="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    lines: dict[str, str] = {}
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "=" in line:
                key, value = line.strip().split("=", 1)
                lines[key] = value
            if line.startswith("Soriloop is serving"):
                break
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline, health = time.monotonic() + 60, ""
        while time.monotonic() < deadline and '"status": "ok"' not in health:
            with contextlib.suppress(OSError):
                health = _get(opener, f"{base}/healthz")
            time.sleep(0.3)
        assert '"status": "ok"' in health, health
        assert "--brand" in _get(opener, f"{base}/static/soriloop/app.css")
        login = _get(opener, f"{base}/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        home = _get(
            opener,
            f"{base}/accounts/login/",
            {"csrfmiddlewaretoken": token, "email": lines["email"], "password": lines["password"]},
        )
        assert "소리루프 데모" in home
        assert "설정" in home and "로그아웃" in home, "the demo owner reads Korean"
        inbox = _get(opener, f"{base}/inbox/")
        assert "480건" in inbox, "the demo inbox holds the sample feedback"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            # a worker finishes the analysis batch it is in before it stops
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert (tmp_path / "soriloop.sqlite3").exists()


def test_help_lists_every_command_with_one_line(capsys) -> None:
    from soriloop.cli import main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    ours = sorted(
        path.stem
        for path in Path(__file__).resolve().parents[2].glob("*/management/commands/*.py")
        if not path.stem.startswith("_")
    )
    assert {"import", "smtpd", "train", "eval", "reanalyze", "rollups"} <= set(ours)
    for name in [*(n.replace("_", "-") for n in ours), "serve", "manage"]:
        line = next((row for row in out.splitlines() if row.strip().startswith(name + " ")), "")
        assert len(line.split()) > 2, f"{name} has no help line in:\n{out}"
