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
            "score_confirmed": "on",  # two values do not settle a scale
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
    alice: Member, member_of_a, assert_only_alice_sees, tmp_path: Path
) -> None:
    viewer = member_of_a("viewer")
    upload = io.BytesIO(b"text\nhi\n")
    upload.name = "x.csv"
    assert viewer.client.post(reverse("feedback:imports"), {"file": upload}).status_code == 403
    job = run_import(alice, write_csv(tmp_path / "alices-reviews.csv", [["text"], ["alice only"]]))
    detail = reverse("feedback:import_detail", args=[job.pk])
    assert_only_alice_sees(detail, "alices-reviews.csv", bob_status=404)
    assert_only_alice_sees(reverse("feedback:imports"), "alices-reviews.csv", detail)


def test_a_runaway_quote_costs_its_own_row_only(alice: Member, tmp_path: Path) -> None:
    lines = ["id,review,rating"]
    for i in range(1, 10_001):
        text = f'"quoted, review {i}"' if i % 7 == 0 else f"review {i}"
        lines.append(f"r{i},{text},{(i % 5) + 1}")
    lines[5000] = 'r5000,"this quote never ends,3'  # line 5001 of the file
    path = tmp_path / "runaway.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = run_import(alice, path)
    assert (job.rows_created, job.rows_failed) == (9_999, 1)
    assert job.errors[0]["line"] == 5001
    assert "quote" in job.errors[0]["reason"]
    assert not Feedback.objects.filter(external_id="r5000").exists()
    assert Feedback.objects.filter(external_id="r5001").exists()


def test_a_quoted_field_over_several_lines_is_still_one_row(alice: Member, tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('text,score\n"first line\nsecond line",4\nnext,5\n', encoding="utf-8")
    job = run_import(alice, path, "text=text,score=score:5")
    assert (job.rows_created, job.rows_failed) == (2, 0)
    assert Feedback.objects.filter(text="first line\nsecond line").exists()


def test_a_file_garbled_past_a_point_says_where_and_how_much_was_not_read(
    alice: Member, tmp_path: Path
) -> None:
    from soriloop.feedback import readers

    good = [f"fine {i},4" for i in range(20)]
    garbage = ["a,b,c,d"] * (readers.MAX_BAD_IN_A_ROW + 50)
    path = tmp_path / "garbled.csv"
    path.write_text("\n".join(["text,score", *good, *garbage]) + "\n", encoding="utf-8")
    job = run_import(alice, path, "text=text,score=score:5")
    assert job.rows_created == 20
    assert job.state == "done"
    stop_line = 21 + readers.MAX_BAD_IN_A_ROW
    assert f"cannot be read past line {stop_line}" in job.last_error
    assert "50 lines not read" in job.last_error
    assert job.rows_failed == readers.MAX_BAD_IN_A_ROW


def test_reimporting_an_export_with_a_new_top_row_adds_exactly_one(
    alice: Member, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["text", "score", "date", "email"]]
    rows += [
        [f"review {i}", (i % 5) + 1, f"2026-01-{i + 1:02d}", f"c{i}@example.com"] for i in range(5)
    ]
    rows.append(["review 0", 1, "2026-01-01", "c0@example.com"])  # same text, other score
    rows.append(["review 1", 2, "2026-01-02", "c1@example.com"])  # a true repeat, kept twice
    first = run_import(alice, write_csv(tmp_path / "export.csv", rows))
    assert first.rows_created == 7
    rows.insert(1, ["brand new", 5, "2026-02-01", "new@example.com"])
    again = run_import(alice, write_csv(tmp_path / "export.csv", rows))
    assert (again.rows_created, again.rows_duplicate) == (1, 7)
    assert Feedback.objects.filter(workspace=alice.workspace).count() == 8


def test_one_outlier_does_not_change_a_five_star_column(alice: Member, tmp_path: Path) -> None:
    rows: list[list[object]] = [["review", "stars"]]
    rows += [[f"review {i}", (i % 5) + 1] for i in range(400)]
    rows.append(["a typo", 6])  # line 402
    path = write_csv(tmp_path / "stars.csv", rows)
    with open(path, "rb") as stream:
        job = import_create(
            workspace=alice.workspace, file_name=path.name, stream=stream, created_by=None
        )
    score = job.mapping["score"]
    assert (score["kind"], score["scale"], score["confirmed"]) == ("stars", 5, False)
    assert job.mapping["score_check"]["out_of_range"] == 1
    assert job.mapping["score_check"]["lines"] == [402]
    job.state = "queued"
    job.save()
    done = import_run(job_id=job.pk)
    assert done is not None
    assert (done.rows_created, done.rows_failed) == (400, 1)
    assert done.errors == [
        {"line": 402, "field": "score", "reason": "must be between 1 and 5 for stars"}
    ]
    assert sorted(set(Feedback.objects.values_list("score", flat=True))) == [1, 2, 3, 4, 5]
    record = Feedback.objects.filter(score__isnull=False).first()
    assert record is not None
    assert record.metadata["score_scale_confirmed"] is False


def test_a_ten_point_column_is_read_from_the_whole_file() -> None:
    from soriloop.feedback.imports import mapping_detect

    values = [{"rating": str(v)} for v in [1, 2, 3, 4, 5] * 60 + [7, 8, 9, 10] * 10]
    mapping = mapping_detect(["text", "rating"], values)
    assert mapping.score is not None
    assert (mapping.score.scale, mapping.score.confirmed) == (10, False)


def test_the_page_asks_for_an_unsure_scale_and_records_the_confirmation(
    alice: Member, run_tasks
) -> None:
    lines = ["review,stars", *(f"r{i},{(i % 5) + 1}" for i in range(100)), "typo,6"]
    upload = io.BytesIO(("\n".join(lines) + "\n").encode())
    upload.name = "stars.csv"
    response = alice.client.post(reverse("feedback:imports"), {"file": upload})
    job_url = response.headers["Location"]
    page = alice.client.get(job_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 value is outside 1-5" in page
    assert "Lines: 102" in page
    korean = alice.client.get(job_url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "값 1개가 1-5 범위를 벗어납니다" in korean
    form = {"text": "review", "score": "stars", "score_scale": "stars:5", "channel": "import",
            "source": "stars.csv"}  # fmt: skip
    refused = alice.client.post(job_url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "Confirm the scale" in refused.content.decode()
    assert alice.client.post(job_url, {**form, "score_confirmed": "on"}).status_code == 302
    run_tasks()
    job = ImportJob.objects.get()
    assert job.mapping["score"]["confirmed"] is True
    assert (job.rows_created, job.rows_failed) == (100, 1)
    assert Feedback.objects.first().metadata["score_scale_confirmed"] is True


def test_a_scale_given_on_the_command_line_is_confirmed(alice: Member, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["body", "stars"], ["good", 5]])
    call_command("import", str(path), "--workspace", alice.workspace.slug,
                 "--map", "text=body,score=stars:5", "--quiet")  # fmt: skip
    assert ImportJob.objects.get().mapping["score"]["confirmed"] is True
    assert mapping_parse("text=body,score=stars", ["body", "stars"]).score.confirmed is False


def _bomb_xlsx(path: Path, size: int) -> Path:
    """A workbook whose shared strings unpack to ``size`` bytes from under a megabyte."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["text"])
    book.active.append(["hello"])
    book.save(path)
    archive = zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED)
    with archive, archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
        chunk = b"<si><t>a</t></si>" * 65536
        member.write(b"<sst>")
        for _ in range(size // len(chunk)):
            member.write(chunk)
        member.write(b"</sst>")
    return path


def test_a_zip_bomb_xlsx_is_refused_before_it_is_unpacked(
    alice: Member, tmp_path: Path, settings
) -> None:
    import tracemalloc

    settings.DATA_DIR = tmp_path / "data"

    path = _bomb_xlsx(tmp_path / "bomb.xlsx", 100 * 1024 * 1024)
    assert path.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    with pytest.raises(UnreadableFile, match="unpacks to"), open(path, "rb") as stream:
        import_create(
            workspace=alice.workspace, file_name="bomb.xlsx", stream=stream, created_by=None
        )
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert ImportJob.objects.count() == 0
    assert not list((Path(settings.DATA_DIR) / "imports").glob("*.xlsx"))


def test_a_bloated_workbook_part_is_refused_before_openpyxl_parses_it(
    alice: Member, tmp_path: Path
) -> None:
    import zipfile

    import openpyxl

    path = tmp_path / "styles.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["text"])
    book.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/theme/theme2.xml", b"<a:theme>" + b" " * (20 * 1024 * 1024))
    with (
        pytest.raises(UnreadableFile, match=r"theme2\.xml unpacks to 20\.0 MB"),
        open(path, "rb") as s,
    ):
        import_create(workspace=alice.workspace, file_name="styles.xlsx", stream=s, created_by=None)


def test_a_sheet_claiming_every_column_is_read_as_wide_as_its_cells(
    alice: Member, tmp_path: Path
) -> None:
    import re
    import zipfile

    import openpyxl

    path = tmp_path / "wide.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["text", "stars"])
    book.active.append(["fine", 5])
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    job = run_import(alice, path, "text=text,score=stars:5")
    assert job.columns == ["text", "stars"]
    assert (job.rows_created, job.rows_failed) == (1, 0)


def test_too_many_shared_strings_are_refused(alice: Member, tmp_path: Path, settings) -> None:
    import zipfile

    import openpyxl

    settings.IMPORT_XLSX_MAX_SHARED_STRINGS = 100
    book = openpyxl.Workbook()
    book.active.append(["text"])
    book.save(tmp_path / "many.xlsx")
    strings = "".join(f"<si><t>distinct text {i}</t></si>" for i in range(200))
    with zipfile.ZipFile(tmp_path / "many.xlsx", "a") as archive:
        archive.writestr("xl/sharedStrings.xml", f'<sst count="200">{strings}</sst>')
    with (
        pytest.raises(UnreadableFile, match="distinct strings"),
        open(tmp_path / "many.xlsx", "rb") as stream,
    ):
        import_create(
            workspace=alice.workspace, file_name="many.xlsx", stream=stream, created_by=None
        )


def test_an_upload_over_the_size_limit_is_refused_and_not_kept(
    alice: Member, tmp_path: Path, settings
) -> None:
    settings.IMPORT_MAX_BYTES = 1000
    settings.DATA_DIR = tmp_path
    upload = io.BytesIO(b"text\n" + b"a fine review\n" * 200)
    upload.name = "big.csv"
    response = alice.client.post(
        reverse("feedback:imports"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "The file is larger than 0 MB" in response.content.decode()  # cut off while read
    assert ImportJob.objects.count() == 0
    assert not list((Path(settings.DATA_DIR) / "imports").glob("*.csv"))


def test_a_file_over_the_size_limit_is_refused_on_the_command_line_too(
    alice: Member, tmp_path: Path, settings
) -> None:
    settings.IMPORT_MAX_BYTES = 1000
    settings.DATA_DIR = tmp_path / "data"
    path = write_csv(tmp_path / "big.csv", [["text"], *([f"review {i}"] for i in range(200))])
    with pytest.raises(UnreadableFile, match="larger than"), open(path, "rb") as stream:
        import_create(
            workspace=alice.workspace, file_name="big.csv", stream=stream, created_by=None
        )
    assert not list((tmp_path / "data" / "imports").glob("*"))


def test_rows_past_the_row_limit_are_not_read_and_said_so(
    alice: Member, tmp_path: Path, settings
) -> None:
    settings.IMPORT_MAX_ROWS = 10
    path = write_csv(tmp_path / "long.csv", [["text"], *([f"review {i}"] for i in range(15))])
    job = run_import(alice, path)
    assert job.rows_created == 10
    assert "5 rows not read" in job.last_error


def test_the_uploaded_file_is_deleted_after_the_import(alice: Member, tmp_path: Path) -> None:
    done = run_import(alice, write_csv(tmp_path / "ok.csv", [["text"], ["fine"]]))
    assert not Path(done.file_path).exists()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK not really a zip")
    with open(write_csv(tmp_path / "later.csv", [["text"], ["x"]]), "rb") as stream:
        job = import_create(
            workspace=alice.workspace, file_name="later.csv", stream=stream, created_by=None
        )
    Path(job.file_path).write_bytes(b"\x80\xff\xfe\x00" * 100)  # unreadable by run time
    job.state = "queued"
    job.save()
    failed = import_run(job_id=job.pk)
    assert failed is not None and failed.state == "failed"
    assert not Path(job.file_path).exists()


def test_the_cli_asks_for_a_scale_the_column_does_not_settle(alice: Member, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    path = write_csv(tmp_path / "few.csv", [["review", "stars"], ["good", 5], ["bad", 6]])
    with pytest.raises(CommandError, match="do not settle the scale"):
        call_command("import", str(path), "--workspace", alice.workspace.slug, "--quiet")
    assert (ImportJob.objects.count(), Feedback.objects.count()) == (0, 0)


def test_the_cli_says_what_it_could_not_read(
    alice: Member, tmp_path: Path, capsys, settings
) -> None:
    settings.IMPORT_MAX_ROWS = 2
    path = write_csv(tmp_path / "long.csv", [["text"], ["a"], ["b"], ["c"]])
    with pytest.raises(SystemExit):
        call_command("import", str(path), "--workspace", alice.workspace.slug, "--quiet")
    assert "1 rows not read" in capsys.readouterr().out


def test_an_upload_never_started_lets_its_file_go_after_a_day(
    alice: Member, tmp_path: Path
) -> None:
    import datetime as dt

    from django.utils import timezone

    from soriloop.feedback.imports import import_uploads_expire

    path = write_csv(tmp_path / "left.csv", [["text"], ["never imported"]])
    with open(path, "rb") as stream:
        job = import_create(
            workspace=alice.workspace, file_name=path.name, stream=stream, created_by=None
        )
    assert import_uploads_expire(now=timezone.now() + dt.timedelta(hours=23)) == []
    assert Path(job.file_path).exists()
    assert import_uploads_expire(now=timezone.now() + dt.timedelta(hours=25)) == [job.pk]
    job.refresh_from_db()
    assert job.state == "failed" and "never started" in job.last_error
    assert not Path(job.file_path).exists()
