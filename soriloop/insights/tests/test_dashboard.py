"""The overview dashboard: every number is a link to exactly the records behind it."""

import io
import re
from pathlib import Path

from django.test import Client
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add
from soriloop.core.changes import changes_drain
from soriloop.insights.rollups import rollups_refresh
from soriloop.insights.tests.shop import SAMPLES, WEEK, ingest, seeded, sign_in


def counts(html: str, attribute: str = "data-count") -> list[tuple[str, int]]:
    return [
        (href.replace("&amp;", "&"), int(n))
        for href, n in re.findall(rf'<a[^>]*href="([^"]+)"[^>]*{attribute}="(\d+)"', html)
    ]


def inbox_total(client: Client, href: str) -> int:
    html = client.get(href).content.decode()
    return int(re.search(r'data-testid="total" data-count="(\d+)"', html).group(1))


def test_every_tile_and_topic_opens_exactly_the_records_it_counts(alice: Member) -> None:
    seeded(alice)
    html = alice.client.get(f"/dashboard/?{WEEK}").content.decode()
    links = counts(html)
    assert len(links) >= 6, "five tiles and the topics"
    for href, n in links:
        assert href.startswith("/inbox/?")
        assert inbox_total(alice.client, href) == n, href
    assert dict(links)[f"/inbox/?{WEEK.replace('&', '&')}"] == 8


def test_a_workspace_without_feedback_is_told_what_to_do(
    alice: Member, assert_only_alice_sees
) -> None:
    seeded(alice)
    # alice's dashboard shows her tiles and her latest texts; bob's shows none of them
    html = assert_only_alice_sees("/dashboard/", 'data-testid="tile-volume"', "일주일째")
    assert 'data-testid="empty"' in html


def test_a_bad_filter_is_named_and_the_page_still_answers(alice: Member) -> None:
    seeded(alice)
    response = alice.client.get("/dashboard/?date_from=soon&grain=year")
    assert response.status_code == 200
    assert "date_from" in response.content.decode()


def test_korean_dashboard_a_chart_bar_drills_down_to_its_records(
    live_server, alice: Member, page: Page
) -> None:
    seeded(alice)
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="대시보드")).to_be_visible()
    expect(page.get_by_test_id("tile-volume")).to_contain_text("8")
    canvas = page.get_by_test_id("trend-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart('trend-chart')")
    # click the bar of 2026-03-03 (two records): its centre, as Chart.js placed it
    x, y = page.evaluate(
        """() => { const c = Chart.getChart('trend-chart');
                   const bar = c.getDatasetMeta(0).data[2]; return [bar.x, bar.y + 2]; }"""
    )
    canvas.click(position={"x": x, "y": y})
    expect(page).to_have_url(re.compile(r"/inbox/\?.*date_from=2026-03-03&date_to=2026-03-03"))
    expect(page.get_by_test_id("total")).to_have_attribute("data-count", "2")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX 내보내기").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert len(list(book["feedback"].iter_rows(min_row=2))) == 2


def test_english_dashboard_filter_change_and_live_feed(
    live_server, alice: Member, browser: Browser
) -> None:
    seeded(alice)
    context = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, korean=False)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_test_id("menu-channel").click()
    page.get_by_label("API", exact=True).check()
    page.get_by_test_id("menu-channel").click()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"channel=api"))
    expect(page.get_by_test_id("tile-volume")).to_have_attribute("data-count", "2")
    expect(page.get_by_test_id("tile-nps")).to_contain_text("-100")
    page.get_by_test_id("tile-nps").click()
    expect(page.get_by_test_id("total")).to_have_attribute("data-count", "2")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3, "the header and the two records the tile counted"
    page.go_back()
    ingest(alice, 99, ("Checkout is fixed, thanks!", "api", "", None, "", "", 0))
    expect(page.get_by_test_id("live")).to_contain_text("Checkout is fixed", timeout=2_500)
    context.close()


def test_another_workspace_cannot_read_the_live_feed(alice: Member, assert_only_alice_sees) -> None:
    ingest(alice, 1, SAMPLES[1])
    assert_only_alice_sees("/dashboard/live/", "친절")
    assert Client().get("/dashboard/live/").status_code == 302


def test_the_topic_explorer_shows_a_topics_keywords_splits_and_examples(alice: Member) -> None:
    seeded(alice)
    html = alice.client.get(f"/dashboard/topics/?{WEEK}&topic=app").content.decode()
    assert 'data-testid="topic-name"' in html
    assert "앱이 결제할 때마다 튕겨요" in html or "The app crashes" in html
    assert 'data-testid="keywords"' in html and 'data-testid="by-channel"' in html
    for href, n in counts(html):
        assert inbox_total(alice.client, href) == n, href
    other = alice.client.get(f"/dashboard/topics/?{WEEK}&topic=app")
    assert other.status_code == 200


def test_compare_puts_two_channels_side_by_side_with_links_to_each_side(alice: Member) -> None:
    seeded(alice)
    html = alice.client.get(
        f"/dashboard/compare/?{WEEK}&dim=channel&a=api&b=email"
    ).content.decode()
    assert 'data-testid="row-volume"' in html
    row = html[html.index('data-testid="row-nps"') :]
    row = row[: row.index("</tr>")]
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', row)]
    assert [inbox_total(alice.client, h) for h in hrefs] == [2, 0]
    periods = alice.client.get(
        "/dashboard/compare/?dim=period&a=2026-03-02..2026-03-03&b=2026-03-04..2026-03-05"
    ).content.decode()
    assert 'data-testid="row-volume"' in periods
    bad = alice.client.get("/dashboard/compare/?dim=period&a=soon&b=2026-03-04").content.decode()
    assert "2026-01-01..2026-01-31" in bad


def font_names(pdf: bytes) -> set[bytes]:
    """The fonts a PDF embeds, from its objects and its compressed object streams."""
    import zlib

    inflated = b""
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            inflated += zlib.decompress(stream.group(1))
        except zlib.error:
            continue
    return set(re.findall(rb"/(?:BaseFont|FontName)\s*/([A-Za-z0-9+\-_]+)", pdf + inflated))


def test_the_period_report_prints_as_html_and_pdf_with_korean_fonts(
    alice: Member, member_of_a
) -> None:
    from soriloop.accounts.models import AuditEvent

    seeded(alice)
    html = alice.client.get(f"/dashboard/report/?{WEEK}").content.decode()
    assert 'data-testid="report-kpis"' in html
    assert html.count('data-testid="quote"') >= 2
    response = alice.client.get(f"/dashboard/report.pdf?{WEEK}")
    assert response.status_code == 200
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert any(b"Noto-Sans-CJK" in name for name in font_names(pdf)), "the Korean font is embedded"
    assert AuditEvent.objects.filter(action="export", target="report.pdf").exists()
    viewer = member_of_a("viewer").client
    assert viewer.get("/dashboard/report.pdf").status_code == 403
    assert 'data-testid="report-pdf"' not in viewer.get("/dashboard/report/").content.decode()


def test_a_topic_card_the_rollups_cannot_split_loads_after_the_page(alice: Member) -> None:
    seeded(alice)
    query = f"{WEEK}&segment=vip&touchpoint=support"
    html = alice.client.get(f"/dashboard/?{query}").content.decode()
    assert 'data-testid="topics-slot"' in html
    card = alice.client.get(f"/dashboard/top-topics/?{query}").content.decode()
    links = counts(card)
    assert links, "the two vip support records have topics"
    for href, n in links:
        assert inbox_total(alice.client, href) == n, href


def test_compare_offers_the_values_to_pick_for_each_dimension(alice: Member, bob: Member) -> None:
    seeded(alice)
    html = alice.client.get("/dashboard/compare/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert 'list="compare-channel"' in html
    channels = html[html.index('<datalist id="compare-channel">') :]
    channels = channels[: channels.index("</datalist>")]
    assert '<option value="email">이메일</option>' in channels
    languages = html[html.index('<datalist id="compare-language">') :]
    assert '<option value="ko">한국어</option>' in languages[: languages.index("</datalist>")]
    touchpoints = html[html.index('<datalist id="compare-touchpoint">') :]
    touchpoints = touchpoints[: touchpoints.index("</datalist>")]
    seen = set(alice.workspace.feedback.exclude(touchpoint="").values_list("touchpoint", flat=True))
    assert seen and all(f'<option value="{t}">' in touchpoints for t in seen)
    other = bob.client.get("/dashboard/compare/").content.decode()
    assert '<datalist id="compare-touchpoint"></datalist>' in other


def test_the_report_prints_volume_as_a_count(alice: Member) -> None:
    seeded(alice)
    html = alice.client.get(
        f"/dashboard/report/?{WEEK}", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    volume = re.search(r"<tr><td>Volume</td><td class=\"num\">([^<]+)</td>", html).group(1)
    assert re.fullmatch(r"\d+", volume), volume


def test_a_topic_without_segments_says_so_not_that_nothing_is_analysed(alice: Member) -> None:
    add(alice, text="배송이 너무 늦어요. 일주일째 안 와요", channel="review")
    analysis_run_batch(owner="w")
    changes_drain()
    rollups_refresh()
    html = alice.client.get("/dashboard/topics/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    segments = html[html.index("By segment") :]
    assert "No analysed feedback in this period." not in segments[:400]
    assert "None of this feedback comes from a customer in a segment." in segments[:400]


def test_the_trend_draws_nps_only_where_a_point_has_enough_answers(alice: Member) -> None:
    import json

    from soriloop.insights.views import TREND_MIN_N

    seeded(alice)
    html = alice.client.get(f"/dashboard/?{WEEK}").content.decode()
    data = json.loads(re.search(r'id="chart-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    points = data["points"]
    assert points and all("nps_n" in p and "net_sentiment_n" in p for p in points)
    assert any(0 < p["nps_n"] < TREND_MIN_N for p in points), "the seed has thin days"
    for p in points:
        if p["nps_n"] < TREND_MIN_N:
            assert p["nps"] is None, p
        if p["net_sentiment_n"] < TREND_MIN_N:
            assert p["net_sentiment"] is None, p
    assert str(TREND_MIN_N) in data["labels"]["thin"]


def test_dashboard_get_answers_the_metrics_apis_numbers_and_the_page_in_one_call(
    alice: Member, bob: Member, api_key_of
) -> None:
    import json
    from dataclasses import replace

    from soriloop.feedback.filters import FeedbackFilter
    from soriloop.insights.selectors import dashboard_get

    seeded(alice)
    query = {"date_from": "2026-03-01", "date_to": "2026-03-07"}
    f = FeedbackFilter.from_query(query)
    board = dashboard_get(workspace=alice.workspace, filters=f, grain="day")
    key = api_key_of(alice, "read")
    api = Client().get("/api/v1/metrics", query, headers={"Authorization": f"Bearer {key}"})
    assert json.loads(json.dumps(board.overview)) == {
        k: v for k, v in api.json().items() if k != "filter"
    }
    assert board.overview["metrics"]["volume"]["n"] == 8
    assert board.topics and all(t["metrics"]["volume"]["n"] >= 1 for t in board.topics)
    assert board.negative and all(
        r.enrichment.sentiment_label == "negative" for r in board.negative
    )
    assert len(board.live) == 8 and board.anything
    unsplit = dashboard_get(
        workspace=alice.workspace,
        filters=replace(f, segment="vip", touchpoint="support"),
        grain="day",
    )
    assert unsplit.topics is None, "segment + touchpoint by topic is counted after the page"
    assert unsplit.overview["metrics"]["volume"]["n"] == 2
    empty = dashboard_get(workspace=bob.workspace, filters=f, grain="day")
    assert not empty.anything and empty.live == [] and empty.overview["metrics"]["volume"]["n"] == 0
