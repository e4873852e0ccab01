"""E-mail: parsing, a real SMTP conversation with `soriloop smtpd`, .eml and .mbox files."""

import mailbox
import signal
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from soriloop.conftest import Member, subprocess_env
from soriloop.feedback.mail import mail_ingest, parse_mail, strip_reply
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get


def message(
    body: str,
    *,
    subject: str = "배송 문의",
    sender: str = "홍길동 <hong@example.com>",
    html: str | None = None,
    msg_id: str = "<m1@example.com>",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "fb-x@localhost"
    msg["Subject"] = subject
    msg["Message-ID"] = msg_id
    msg["Date"] = "Tue, 03 Mar 2026 10:00:00 +0900"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def test_quoted_history_and_signatures_are_removed() -> None:
    body = (
        "주문한 지 일주일이 지났는데 아직 안 왔어요.\n확인 부탁드립니다.\n\n"
        "2026년 3월 2일 (월) 오후 3:00, 고객센터 <cs@shop.example>님이 작성:\n> 안녕하세요, 고객님\n> 배송은 3일 걸립니다"
    )
    assert strip_reply(body) == "주문한 지 일주일이 지났는데 아직 안 왔어요.\n확인 부탁드립니다."
    assert (
        strip_reply("Thanks!\n\nOn Mon, Mar 2, 2026 at 3 PM Shop <cs@shop.example> wrote:\n> old")
        == "Thanks!"
    )
    assert strip_reply("Great service\n-- \nJane Doe\nACME") == "Great service"
    assert strip_reply("좋아요\n\niPhone에서 보냄") == "좋아요"
    assert strip_reply("New point\n-----Original Message-----\nFrom: x") == "New point"


def test_html_only_mail_is_turned_into_text() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "Hello"
    msg.set_content(
        "<html><head><style>p{}</style></head><body><p>The <b>refund</b> never came.</p><blockquote>old thread</blockquote></body></html>",
        subtype="html",
    )
    parsed = parse_mail(msg.as_bytes())
    assert parsed.text == "The refund never came."


def test_attachments_are_listed_not_stored(alice: Member) -> None:
    msg = message("사진 첨부합니다. 포장이 찢어져 왔어요.")
    msg.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="상자.png")
    result = mail_ingest(workspace=alice.workspace, raw=msg.as_bytes())
    record = result.feedback
    assert record.text == "배송 문의\n\n사진 첨부합니다. 포장이 찢어져 왔어요."
    assert record.metadata["attachments"] == [{"name": "상자.png", "type": "image/png", "bytes": 9}]
    assert record.customer.email == "hong@example.com"
    assert record.customer.name == "홍길동"
    assert record.received_at.isoformat() == "2026-03-03T01:00:00+00:00"


def test_the_same_message_twice_is_one_record(alice: Member) -> None:
    raw = message("한 번만 저장돼야 해요").as_bytes()
    assert mail_ingest(workspace=alice.workspace, raw=raw).status == "created"
    assert mail_ingest(workspace=alice.workspace, raw=raw).status == "duplicate"


def test_auto_replies_are_kept_but_not_linked_or_answered(alice: Member, run_tasks) -> None:
    msg = message("I am out of office until Monday.", sender="bot@example.com")
    msg["Auto-Submitted"] = "auto-replied"
    record = mail_ingest(workspace=alice.workspace, raw=msg.as_bytes()).feedback
    assert record.metadata["automatic"] is True
    assert record.customer is None
    run_tasks()
    assert mail.outbox == []


def test_mbox_and_eml_files_import_through_the_cli(alice: Member, tmp_path: Path, capsys) -> None:
    box = mailbox.mbox(str(tmp_path / "support.mbox"))
    for n in range(3):
        box.add(message(f"메일 {n}번 내용", msg_id=f"<box{n}@example.com>").as_bytes())
    box.close()
    call_command("import", str(tmp_path / "support.mbox"), "--workspace", alice.workspace.slug)
    assert "created=3" in capsys.readouterr().out
    (tmp_path / "one.eml").write_bytes(message("eml 내용", msg_id="<box0@example.com>").as_bytes())
    call_command("import", str(tmp_path / "one.eml"), "--workspace", alice.workspace.slug)
    assert "duplicate=1" in capsys.readouterr().out
    assert Feedback.objects.filter(channel="email").count() == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_smtp_conversation_stores_the_mail_before_saying_250(alice: Member) -> None:
    address = f"fb-{channel_settings_get(workspace=alice.workspace).inbound_token}@feedback.example"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "smtpd", "--port", str(port)],
        env=subprocess_env(INBOUND_EMAIL_DOMAIN="feedback.example"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "listening" in server.stdout.readline()
        # no retry: "listening" is printed once a connection is greeted
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            msg = message("환불은 언제 되나요? 벌써 2주째예요.", sender="Kim <kim@example.com>")
            msg.replace_header("To", address)
            refused = client.sendmail("kim@example.com", [address], msg.as_bytes())
            assert refused == {}
            record = Feedback.objects.get(workspace=alice.workspace)  # committed before the 250
            assert record.channel == "email"
            assert "환불은 언제 되나요?" in record.text
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("kim@example.com", ["fb-unknown@feedback.example"], msg.as_bytes())
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("kim@example.com", ["someone@elsewhere.example"], msg.as_bytes())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert Feedback.objects.count() == 1


def _hostile_mbox(path: Path) -> Path:
    from soriloop.feedback.tests.hostile_mail import HOSTILE

    box = mailbox.mbox(str(path))
    for _name, raw, _phrase in HOSTILE:
        box.add(raw)
    box.close()
    return path


def _assert_hostile_stored(workspace) -> None:
    from soriloop.feedback.tests.hostile_mail import HOSTILE

    records = list(Feedback.objects.filter(workspace=workspace, channel="email"))
    assert len(records) == len(HOSTILE), [r.text for r in records]
    texts = "\n---\n".join(r.text for r in records)
    for name, _raw, phrase in HOSTILE:
        assert phrase in texts, f"{name}: {phrase!r} not in {texts}"
    assert "\ufffd" not in texts, "every message decoded without replacement characters"
    for record in records:
        assert record.raw_mail.raw.startswith(b"From") or b"Subject" in bytes(record.raw_mail.raw)


def test_a_hostile_mbox_is_stored_whole_with_readable_korean(
    alice: Member, tmp_path: Path, capsys
) -> None:
    path = _hostile_mbox(tmp_path / "hostile.mbox")
    call_command("import", str(path), "--workspace", alice.workspace.slug)
    assert "created=13 duplicate=0 failed=0" in capsys.readouterr().out
    _assert_hostile_stored(alice.workspace)
    call_command("import", str(path), "--workspace", alice.workspace.slug)
    assert "created=0 duplicate=13" in capsys.readouterr().out, "a re-import adds nothing"


def test_mail_dates_are_read_defensively(alice: Member) -> None:
    from soriloop.feedback.tests.hostile_mail import HOSTILE

    by_name = {name: raw for name, raw, _phrase in HOSTILE}
    utc = parse_mail(by_name["Date with -0000 (UTC, zone unknown)"])
    assert utc.received_at.isoformat() == "2026-03-03T10:00:00+00:00"
    assert parse_mail(by_name["nothing but a noise subject and an empty body"]).received_at is None


def test_the_raw_message_is_for_admins_only(alice: Member, bob: Member, member_of_a) -> None:
    raw = message("원문을 보관해 주세요.").as_bytes()
    record = mail_ingest(workspace=alice.workspace, raw=raw).feedback
    url = f"/inbox/{record.pk}/raw.eml"
    page = alice.client.get(f"/inbox/{record.pk}/").content.decode()
    assert url in page, "the record page links the original message for an owner"
    response = alice.client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == raw
    agent = member_of_a("agent")
    assert url not in agent.client.get(f"/inbox/{record.pk}/").content.decode()
    assert agent.client.get(url).status_code == 403
    assert bob.client.get(url).status_code == 404
    typed = Feedback.objects.create(
        workspace=alice.workspace,
        channel="api",
        text="x",
        received_at=record.received_at,
        day=record.day,
    )
    assert alice.client.get(f"/inbox/{typed.pk}/raw.eml").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_smtpd_answers_250_for_every_hostile_message(alice: Member) -> None:
    from soriloop.feedback.tests.hostile_mail import HOSTILE

    address = f"fb-{channel_settings_get(workspace=alice.workspace).inbound_token}@feedback.example"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "soriloop.cli", "smtpd", "--port", str(port)],
        env=subprocess_env(INBOUND_EMAIL_DOMAIN="feedback.example"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "listening" in server.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            for name, raw, _phrase in HOSTILE:
                client.ehlo_or_helo_if_needed()
                code, _ = client.mail("sender@example.com")
                assert code == 250, name
                code, _ = client.rcpt(address)
                assert code == 250, name
                code, reply = client.data(raw)
                assert code == 250, f"{name}: {code} {reply!r}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    _assert_hostile_stored(alice.workspace)


def test_decoding_falls_back_in_order_and_never_raises() -> None:
    from soriloop.feedback.mime import decode_bytes

    korean = "똠방각하 배송 문의"
    assert decode_bytes(korean.encode("cp949"), "utf-8") == korean, "mislabelled EUC-KR"
    assert decode_bytes(korean.encode("cp949"), "euc-kr") == korean, "EUC-KR read as CP949"
    assert decode_bytes(korean.encode(), "x-no-such-charset") == korean
    assert decode_bytes(korean.encode(), "base64") == korean, "a codec that is no charset"
    assert decode_bytes(korean.encode()[:-1], "utf-8") == korean[:-1], "a torn last character"
    for short in ("문의", "a문", "환불"):
        assert decode_bytes(short.encode("cp949"), "utf-8") == short, "short CP949 is not torn"
    assert "\ufffd" in decode_bytes(b"\xff\xfe\xfa\x80\x81" * 3, "utf-8")


def test_mangled_messages_never_stop_intake(alice: Member) -> None:
    import random

    from soriloop.feedback.tests.hostile_mail import HOSTILE

    rng = random.Random(10)
    for round_ in range(120):
        raw = bytearray(rng.choice(HOSTILE)[1])
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        cut = bytes(raw[: rng.randint(1, len(raw))]) if round_ % 3 == 0 else bytes(raw)
        result = mail_ingest(workspace=alice.workspace, raw=cut + f"\n{round_}".encode())
        assert result.feedback.text, f"round {round_}: {cut!r}"
