"""The shared cast: alice owns workspace A, bob owns workspace B."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

from soriloop.accounts import services
from soriloop.accounts.models import Membership, Role, User, Workspace
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import feedback_ingest
from soriloop.feedback.validation import parse_feedback

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _rollups_recount_at_once(settings: Any) -> None:
    """Tests change a day and read its rollups at once (the throttle has its own test)."""
    settings.ROLLUP_REFRESH_SECONDS = 0


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a `soriloop` process that must use this test's database."""
    from django.db import connection

    env = dict(os.environ)
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{settings['NAME']}"
    else:
        host = f"{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
        env["DATABASE_URL"] = f"postgres://{host}/{settings['NAME']}"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Member:
    user: User
    workspace: Workspace
    membership: Membership
    client: Client


def make_member(email: str, workspace: Workspace | None, role: str = Role.OWNER) -> Member:
    user = services.user_create(email=email, password=PASSWORD, name=email.split("@")[0].title())
    if workspace is None:
        workspace = services.workspace_create(name=f"{user.name} Shop", owner=user)
        membership = Membership.objects.get(workspace=workspace, user=user)
    else:
        membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    client = Client()
    client.force_login(user)
    return Member(user=user, workspace=workspace, membership=membership, client=client)


def add(member: Member, **data: Any) -> Feedback:
    """One record in ``member``'s workspace through the ingest door, as a channel sends it.

    ``data`` is a channel's JSON body (``text``, ``score``, ``customer``, ...) and ``channel``;
    naive times are read in Asia/Seoul.
    """
    item = parse_feedback(
        data,
        channel=data.get("channel", "api"),
        tz=ZoneInfo("Asia/Seoul"),
        now=dt.datetime.now(dt.UTC),
    )
    return feedback_ingest(workspace=member.workspace, items=[item])[0].feedback


def api(method: str, path: str, key: str | None = None, body: object = None) -> Any:
    """Call ``/api/v1{path}`` with ``key`` as its Bearer token; ``body`` goes as JSON."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    """``response`` has ``status`` and the error envelope with ``code``; returns the error."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


@pytest.fixture
def alice(db: None) -> Member:
    return make_member("alice@a.example", None)


@pytest.fixture
def bob(db: None) -> Member:
    return make_member("bob@b.example", None)


@pytest.fixture
def member_of_a(alice: Member) -> Callable[[str], Member]:
    """Add a person with ``role`` to alice's workspace."""

    def add(role: str) -> Member:
        return make_member(f"{role}@a.example", alice.workspace, role)

    return add


@pytest.fixture
def api_key_of() -> Callable[[Member, str], str]:
    def create(member: Member, scope: str = "write") -> str:
        _key, plaintext = services.api_key_create(
            actor=member.membership, name=f"{scope} key", scope=scope
        )
        return plaintext

    return create


def text_of(response: Any) -> str:
    """The body of ``response`` as text: streamed (exports) or not; JSON with its non-ASCII
    characters as themselves, so a Korean text is found in it as written."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


@pytest.fixture
def request_as() -> Callable[..., Any]:
    """Send one request as a member: their signed-in session, or (``api=True``) a write API
    key of theirs as a Bearer token, ``data`` then going as JSON."""
    keys: dict[int, str] = {}

    def send(
        member: Member, method: str, url: str, data: dict[str, Any] | None = None, api: bool = False
    ) -> Any:
        kwargs: dict[str, Any] = {}
        if api and member.membership.pk not in keys:
            _key, keys[member.membership.pk] = services.api_key_create(
                actor=member.membership, name=f"{member.user.name} test", scope="write"
            )
        if api:
            kwargs["headers"] = {"Authorization": f"Bearer {keys[member.membership.pk]}"}
        if data is not None:
            kwargs["data"] = json.dumps(data) if api else data
            if api:
                kwargs["content_type"] = "application/json"
        client = Client() if api else member.client
        return getattr(client, method.lower())(url, **kwargs)

    return send


@pytest.fixture
def assert_only_alice_sees(alice: Member, bob: Member, request_as) -> Callable[..., str]:
    """GET ``url`` as alice, then as bob: alice's answer is a 200 holding every one of
    ``shown``, bob's (``bob_status``: 200 for a list of his own, 404 for a thing of alice's)
    holds none of them. Returns bob's body, to check what he does see.

    Alice's half is the control: a page that renders nothing fails it, so bob's half cannot
    pass for want of anything to show.
    """

    def check(url: str, *shown: str, api: bool = False, bob_status: int = 200) -> str:
        assert shown, "name what alice sees"
        response = request_as(alice, "get", url, api=api)
        assert response.status_code == 200, (url, response.status_code)
        page = text_of(response)
        missing = [s for s in shown if s not in page]
        assert not missing, (url, "alice does not see", missing, page[:300])
        response = request_as(bob, "get", url, api=api)
        assert response.status_code == bob_status, (url, response.status_code)
        page = text_of(response)
        leaked = [s for s in shown if s in page]
        assert not leaked, (url, "bob sees", leaked)
        return page

    return check


@pytest.fixture
def assert_hidden_from_bob(bob: Member, request_as) -> Callable[..., None]:
    """Send a change to something of workspace A as bob: it must answer 404, never 403 or data.

    The test then checks nothing changed, and that the same request from alice does change
    it (else a wrong URL would pass). Reads go through ``assert_only_alice_sees``.
    ``api``: as bob's API key (Bearer) instead of his signed-in session.
    """

    def check(method: str, url: str, data: dict[str, Any] | None = None, api: bool = False) -> None:
        assert method.lower() != "get", "a read: use assert_only_alice_sees"
        response = request_as(bob, method, url, data, api=api)
        assert response.status_code == 404, (url, response.status_code, response.content[:300])

    return check


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks) -> Callable[[], int]:
    """Run every queued background task in this process, as ``soriloop worker --batch`` would,
    after the change log's consumers have read what is new (they queue some of the tasks).

    Returns how many ran; a failed task fails the test with its traceback.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from soriloop.core.changes import changes_drain

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run() -> int:
        changes_drain()
        ran = 0
        while (task := DBTaskResult.objects.ready().first()) is not None:
            task.claim(worker.worker_id)
            worker.run_task(task)
            task.refresh_from_db()
            assert task.status == "SUCCESSFUL", task.traceback
            ran += 1
        return ran

    return run


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test body are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="ko-KR", extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
