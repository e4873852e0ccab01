"""Thirteen hand-made messages that real mail systems send and naive parsers choke on.

Each is ``(name, raw bytes, a Korean phrase the stored record must contain)``.
"""

from __future__ import annotations

import base64


def _msg(headers: str, body: bytes, *, n: int) -> bytes:
    head = f"From: 고객{n} <c{n}@example.com>\nTo: fb-x@feedback.example\nMessage-ID: <h{n}@example.com>\n"
    return (head + headers).encode("utf-8") + b"\n" + body


def _date(n: int) -> str:
    return f"Date: Tue, 03 Mar 2026 10:{n:02d}:00 +0900\n"


_B64 = base64.b64encode("환불 요청합니다. 상품이 파손되어 도착했어요.".encode()).decode()

HOSTILE: list[tuple[str, bytes, str]] = [
    (
        "plain UTF-8 (the control)",
        _msg(
            _date(1)
            + "Subject: =?UTF-8?B?"
            + base64.b64encode("배송 문의".encode()).decode()
            + "?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
            "주문한 지 일주일이 지났어요.\n".encode(),
            n=1,
        ),
        "일주일이 지났어요",
    ),
    (
        "Date with -0000 (UTC, zone unknown)",
        _msg(
            "Date: Tue, 03 Mar 2026 10:00:00 -0000\nSubject: hello\n"
            "Content-Type: text/plain; charset=utf-8\n",
            "포장이 찢어져 왔어요.\n".encode(),
            n=2,
        ),
        "포장이 찢어져",
    ),
    (
        "an unknown charset that is really UTF-8",
        _msg(
            _date(3) + "Subject: x\nContent-Type: text/plain; charset=x-unknown-8\n",
            "직원분이 친절했어요.\n".encode(),
            n=3,
        ),
        "친절했어요",
    ),
    (
        "an unknown charset in an encoded-word subject",
        _msg(
            _date(4)
            + "Subject: =?x-mac-korean?B?"
            + base64.b64encode("앱 오류".encode()).decode()
            + "?=\nContent-Type: text/plain; charset=utf-8\n",
            "로그인이 안 돼요.\n".encode(),
            n=4,
        ),
        "로그인이 안 돼요",
    ),
    (
        "an 8-bit UTF-8 body without a charset",
        _msg(
            _date(5) + "Subject: no charset\nContent-Transfer-Encoding: 8bit\n",
            "결제가 두 번 됐어요.\n".encode(),
            n=5,
        ),
        "결제가 두 번",
    ),
    (
        "an 8-bit CP949 body without a charset",
        _msg(
            _date(6) + "Subject: cp949 body\nContent-Transfer-Encoding: 8bit\n",
            "배송이 너무 느려요. 똠방각하.\n".encode("cp949"),
            n=6,
        ),
        "배송이 너무 느려요",
    ),
    (
        "a raw CP949 subject (no encoded-word)",
        (
            f"From: c7@example.com\nMessage-ID: <h7@example.com>\n{_date(7)}Subject: ".encode()
            + "교환 요청".encode("cp949")
            + b"\nContent-Type: text/plain; charset=euc-kr\n\n"
            + "사이즈가 안 맞아요.\n".encode("euc-kr")
        ),
        "교환 요청",
    ),
    (
        "a charset declared as UTF-8 that is really EUC-KR",
        _msg(
            _date(8) + "Subject: wrong label\nContent-Type: text/plain; charset=utf-8\n",
            "상담원 연결이 안 됩니다.\n".encode("euc-kr"),
            n=8,
        ),
        "상담원 연결이",
    ),
    (
        "the Outlook label ks_c_5601-1987",
        _msg(
            _date(9) + "Subject: outlook\nContent-Type: text/plain; charset=ks_c_5601-1987\n"
            "Content-Transfer-Encoding: base64\n",
            base64.encodebytes("쿠폰이 적용되지 않아요.".encode("cp949")),
            n=9,
        ),
        "쿠폰이 적용되지",
    ),
    (
        "a multipart without a boundary",
        _msg(
            _date(10)
            + "Subject: no boundary\nMIME-Version: 1.0\nContent-Type: multipart/alternative\n",
            (
                "--b1\nContent-Type: text/plain; charset=utf-8\n\n앱이 자꾸 꺼져요.\n"
                "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>앱이 자꾸 꺼져요.</p>\n--b1--\n"
            ).encode(),
            n=10,
        ),
        "앱이 자꾸 꺼져요",
    ),
    (
        "broken base64 (bad padding and stray characters)",
        _msg(
            _date(11) + "Subject: broken base64\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n",
            (_B64[:20] + "!!\n" + _B64[20:].rstrip("=") + "Q\n").encode(),
            n=11,
        ),
        "환불 요청합니다",
    ),
    (
        "no Message-ID, no Date, a From without a domain",
        (
            "From: 익명 <someone@localhost>\nSubject: ".encode()
            + "가격 문의".encode()
            + b"\nContent-Type: text/plain; charset=utf-8\n\n"
            + "가격이 너무 비싸요.\n".encode()
        ),
        "가격이 너무 비싸요",
    ),
    (
        "nothing but a noise subject and an empty body",
        _msg("Date: Sat, 01 Jan 0001 00:00:00 +0000\nSubject: Re: 답장\n", b"\n", n=13),
        "답장",
    ),
]
