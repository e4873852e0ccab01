"""/metrics refuses series too long to answer and pages its breakdown."""

from django.test import Client

from soriloop.conftest import Member, add, assert_envelope
from soriloop.core.changes import changes_drain
from soriloop.insights.rollups import rollups_refresh


def metrics(key: str, **query):
    return Client().get("/api/v1/metrics", query, headers={"Authorization": f"Bearer {key}"})


def test_three_years_at_day_grain_are_refused_with_the_reason(
    alice: Member, api_key_of, settings
) -> None:
    key = api_key_of(alice, "read")
    three_years = {"date_from": "2023-01-01", "date_to": "2025-12-31"}
    error = assert_envelope(metrics(key, grain="day", **three_years), 422, "validation_error")
    assert "1096 points" in error["fields"]["grain"][0]
    assert "week" in error["fields"]["grain"][0]
    assert metrics(key, grain="week", **three_years).status_code == 200
    assert metrics(key, grain="month", **three_years).status_code == 200
    a_year = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    assert len(metrics(key, grain="day", **a_year).json()["series"]) == 365
    settings.METRICS_MAX_POINTS = 100
    assert metrics(key, grain="day", **a_year).status_code == 422


def test_the_breakdown_is_paged(alice: Member, api_key_of) -> None:
    for n in range(5):
        for _ in range(5 - n):
            add(alice, text="배송", source=f"shop-{n}", received_at="2026-03-02T10:00:00")
    changes_drain()
    rollups_refresh()
    key = api_key_of(alice, "read")
    period = {"date_from": "2026-03-01", "date_to": "2026-03-07", "group_by": "source"}
    seen, offset, pages = [], 0, 0
    while offset is not None:
        body = metrics(key, limit=2, offset=offset, **period).json()["breakdown"]
        assert body["total"] == 5
        seen += [item["key"] for item in body["items"]]
        offset, pages = body["next_offset"], pages + 1
    assert seen == [f"shop-{n}" for n in range(5)]
    assert pages == 3
    bad = metrics(key, limit=2, offset=-1, **period)
    assert "offset" in assert_envelope(bad, 422, "validation_error")["fields"]
