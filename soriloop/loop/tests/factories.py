"""Records through the API door, analysed and read by the consumers, as the worker would."""

from __future__ import annotations

from typing import Any

from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import api
from soriloop.core.changes import changes_drain

ANGRY = "주문한 지 3주째인데 아직도 안 왔어요. 너무 화가 납니다"


def send(key: str, text: str = ANGRY, **fields: Any) -> int:
    """POST /feedback, analyse, run the consumers; the record's id."""
    created = api("post", "/feedback", key, {"text": text, **fields})
    assert created.status_code == 201, created.content
    settle()
    return int(created.json()["id"])


def settle() -> None:
    while analysis_run_batch(owner="test"):
        pass
    changes_drain()


def detractor(
    key: str, text: str = ANGRY, *, email: str = "minji@example.com", score: int = 2, **extra: Any
) -> int:
    return send(
        key, text, score=score, score_kind="nps",
        customer={"email": email, "name": "김민지"}, **extra,
    )  # fmt: skip


def case_of(key: str, feedback_id: int) -> dict[str, Any]:
    found = api("get", f"/cases?feedback={feedback_id}", key)
    assert found.status_code == 200, found.content
    items = found.json()["items"]
    assert len(items) == 1, items
    detail = api("get", f"/cases/{items[0]['id']}", key)
    assert detail.status_code == 200, detail.content
    return dict(detail.json())
