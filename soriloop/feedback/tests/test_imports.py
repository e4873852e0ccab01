"""File imports with real files, including broken ones."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from soriloop.conftest import Member
from soriloop.feedback.imports import (
    BadMapping,
    import_create,
    import_run,
    mapping_detect,
    mapping_parse,
)
from soriloop.feedback.models import Feedback, ImportJob
from soriloop.feedback.readers import UnreadableFile


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def run_import(member: Member, path: Path, spec: str = "", source: str = "") -> ImportJob:
    with open(path, "rb") as stream:
        job = import_create(
            workspace=member.workspace,
            file_name=path.name,
            stream=stream,
            created_by=member.user,
            source=source,
        )
    if spec:
        job.mapping = mapping_parse(spec, job.columns).as_json()
    job.state = "queued"
    job.save()
    return import_run(job_id=job.pk)


def test_ten_thousand_rows_with_three_bad_keep_every_good_row(
    alice: Member, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["id", "review", "rating", "date"]]
    for i in range(10_000):
        rows.append([f"r{i}", f"리뷰 {i}: 배송이 빨라요", (i % 5) + 1, "2026-01-15"])
    rows[101][2] = "eleven"  # line 102
    rows[5001][1], rows[5001][2] = "", ""  # line 5002: nothing to store
    rows[9000][3] = "not a date"  # line 9001
    job = run_import(alice, write_csv(tmp_path / "reviews.csv", rows))
    assert job.state == "done"
    assert (job.rows_total, job.rows_created, job.rows_failed) == (10_000, 9_997, 3)
    assert [(e["line"], e["field"]) for e in job.errors] == [
        (102, "score"),
        (5002, "text"),
        (9001, "received_at"),
    ]
    assert Feedback.objects.filter(workspace=alice.workspace).count() == 9_997
    record = Feedback.objects.get(external_id="r7")
    assert (record.channel, record.source, record.score_kind, record.score) == (
        "import",
        "reviews.csv",
        "stars",
        3.0,
    )


def test_reimporting_the_same_file_creates_no_duplicates(alice: Member, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "no-ids.csv", [["내용", "별점"], ["좋아요", 5], ["좋아요", 5], ["별로예요", 2]]
    )
    first = run_import(alice, path)
    again = run_import(alice, path)
    assert (first.rows_created, again.rows_created, again.rows_duplicate) == (3, 0, 3)
    assert Feedback.objects.count() == 3


def test_korean_headers_are_mapped_automatically() -> None:
    mapping = mapping_detect(
        ["번호", "작성자", "리뷰 내용", "평점", "작성일", "상품"], [{"평점": "9"}, {"평점": "10"}]
    )
    assert (
        mapping.columns
        == {"received_at": "작성일", "external_id": "번호", "customer_name": "작성자"}
        | {"text": "리뷰 내용"}
        or mapping.columns["text"] == "리뷰 내용"
    )
    assert mapping.score.column == "평점"
    assert mapping.score.scale == 10
    assert "상품" in mapping.metadata


def test_ten_point_ratings_become_half_stars(alice: Member, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nsmc.csv",
        [["document", "rating"], ["최고의 영화", 10], ["별로", 3], ["그냥", 1]],
    )
    run_import(alice, path, "text=document,score=rating:10")
    assert sorted(Feedback.objects.values_list("score", flat=True)) == [1.0, 1.5, 5.0]


def test_cp949_files_from_korean_excel_are_read(alice: Member, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "excel.csv", [["내용", "점수"], ["환불이 안 돼요", 1]], encoding="cp949"
    )
    job = run_import(alice, path, "text=내용,score=점수:csat")
    assert job.rows_created == 1
    assert Feedback.objects.get().text == "환불이 안 돼요"


def test_a_line_of_invalid_utf8_fails_alone(alice: Member, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("text\n첫 줄\n".encode() + b"bad \xff\xfe bytes\n" + "셋째 줄\n".encode())
    job = run_import(alice, path)
    assert (job.rows_created, job.rows_failed) == (2, 1)
    assert job.errors[0]["line"] == 3
    assert "invalid utf-8" in job.errors[0]["reason"].lower()


def test_a_file_in_no_known_encoding_is_refused(alice: Member, tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x80\xff\xfe\x00" * 100)
    with pytest.raises(UnreadableFile), open(path, "rb") as stream:
        import_create(
            workspace=alice.workspace, file_name="binary.csv", stream=stream, created_by=None
        )


def test_a_truncated_csv_keeps_the_rows_before_the_break(alice: Member, tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text('text,score\n"fine",4\n"also fine",5\n"cut off in the midd', encoding="utf-8")
    job = run_import(alice, path, "text=text,score=score:5")
    assert (job.rows_created, job.rows_failed) == (2, 1)
    assert job.errors[0]["line"] == 4


def test_jsonl_reports_bad_lines_by_number(alice: Member, tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "첫째", "score": 5}, ensure_ascii=False),
        "{broken",
        "[1, 2]",
        "",
        json.dumps({"text": "넷째"}, ensure_ascii=False),
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = run_import(alice, path, "text=text,score=score:5")
    assert (job.rows_created, job.rows_failed) == (2, 2)
    assert [e["line"] for e in job.errors] == [2, 3]


def test_xlsx_sheets_are_streamed(alice: Member, tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Review ID", "Comment", "Stars", "Created"])
    sheet.append(["a1", "Love the new app", 5, dt.datetime(2026, 2, 1, 9, 0)])
    sheet.append(["a2", "Crashes on login", 1, dt.datetime(2026, 2, 2, 9, 0)])
    sheet.append(["a3", None, None, None])
    path = tmp_path / "appstore.xlsx"
    book.save(path)
    job = run_import(alice, path)
    assert (job.rows_created, job.rows_failed) == (2, 1)
    assert Feedback.objects.get(external_id="a2").day.isoformat() == "2026-02-02"


def test_a_mapping_naming_missing_columns_is_refused() -> None:
    with pytest.raises(BadMapping) as exc:
        mapping_parse("text=review,score=stars:7x", ["review", "stars"])
    assert "score" in exc.value.fields
    with pytest.raises(BadMapping):
        mapping_parse("text=nope", ["review"])
    with pytest.raises(BadMapping):
        mapping_parse("score=stars:5,colour=x", ["stars"])


def test_the_cli_imports_with_a_mapping_and_reports_bad_rows(
    alice: Member, tmp_path: Path, capsys
) -> None:
    path = write_csv(
        tmp_path / "cli.csv",
        [["id", "body", "stars"], ["1", "good", 5], ["2", "bad score", 9], ["3", "ok", 3]],
    )
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import",
            str(path),
            "--workspace",
            alice.workspace.slug,
            "--map",
            "external_id=id,text=body,score=stars:5",
        )
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert "created=2" in out.out
    assert "line 3: score:" in out.out
    assert "100%" in out.err


def test_the_cli_refuses_an_unknown_workspace(db: None, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    path = write_csv(tmp_path / "x.csv", [["text"], ["hi"]])
    with pytest.raises(CommandError, match="no workspace"):
        call_command("import", str(path), "--workspace", "nope")


def test_upload_check_mapping_then_import_on_the_page(alice: Member, run_tasks) -> None:
    content = "번호,리뷰,별점\n1,배송 빨라요,5\n2,포장이 엉망,1\n".encode()
    upload = io.BytesIO(content)
    upload.name = "쇼핑몰 리뷰.csv"
    response = alice.client.post(reverse("feedback:imports"), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = alice.client.get(response.headers["Location"]).content.decode()
    assert "포장이 엉망" in page  # the preview
    response = alice.client.post(
        response.headers["Location"],
        {
            "text": "리뷰",
            "external_id": "번호",
            "score": "별점",
            "score_scale": "stars:5",
            "channel": "review",
            "source": "smartstore",
            "keep_other": "on",
        },
    )
    assert response.status_code == 302
    assert run_tasks() == 1
    job.refresh_from_db()
    assert (job.state, job.rows_created) == ("done", 2)
    assert set(Feedback.objects.values_list("source", "channel")) == {("smartstore", "review")}
    progress = alice.client.get(
        reverse("feedback:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert 'data-state="done"' in progress.content.decode()


def test_uploading_an_unreadable_file_shows_why(alice: Member) -> None:
    upload = io.BytesIO(b"%PDF-1.4")
    upload.name = "report.pdf"
    response = alice.client.post(
        reverse("feedback:imports"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "unsupported file type" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_viewers_cannot_import_and_bob_cannot_see_alices_imports(
    alice: Member, member_of_a, assert_hidden_from_bob, tmp_path: Path
) -> None:
    viewer = member_of_a("viewer")
    upload = io.BytesIO(b"text\nhi\n")
    upload.name = "x.csv"
    assert viewer.client.post(reverse("feedback:imports"), {"file": upload}).status_code == 403
    job = run_import(alice, write_csv(tmp_path / "a.csv", [["text"], ["alice only"]]))
    assert_hidden_from_bob("get", reverse("feedback:import_detail", args=[job.pk]))
