"""The engine on fixed Korean and English examples (no database)."""

from collections.abc import Sequence
from zlib import crc32

import numpy as np
import pytest

from soriloop.analysis.engine.embed import DIMENSIONS
from soriloop.analysis.engine.features import MASK, featurize
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pii import find_pii, luhn_valid, redact
from soriloop.analysis.engine.pipeline import TextIn, analyze
from soriloop.analysis.engine.sentiment import SentimentModel
from soriloop.analysis.engine.store import MODELS, ModelFiles
from soriloop.analysis.engine.tokens import english_tokens, korean_tokens


@pytest.mark.parametrize(
    ("text", "language", "mixed"),
    [
        ("배송이 너무 늦어요", "ko", False),
        ("배송이너무늦어요ㅠㅠ", "ko", False),
        ("The app keeps crashing on login", "en", False),
        ("앱 UI가 너무 slow해요 please fix the login bug", "ko", True),
        ("ㅋㅋㅋ 대박", "ko", False),
        ("ありがとうございます", "other", False),
        ("Muy buen servicio, gracias por todo", "other", False),
        ("😀👍", "", False),
        ("", "", False),
    ],
)
def test_language(text: str, language: str, mixed: bool) -> None:
    result = detect_language(text)
    assert (result.language, result.mixed) == (language, mixed)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("연락처는 010-1234-5678로 주세요", ["phone"]),
        ("전화 01012345678 부탁", ["phone"]),
        ("+82 10-1234-5678 으로", ["phone"]),
        ("매장 02-123-4567", ["phone"]),
        ("메일은 kim.minsu+shop@example.co.kr 입니다", ["email"]),
        ("주민번호 900101-1234567 이에요", ["rrn"]),
        ("카드 4111 1111 1111 1111 결제", ["card"]),
        ("카드번호4111111111111111로 했어요", ["card"]),
        ("계좌 110-123-456789로 입금했어요", ["account"]),
        # false friends: none of these is personal data
        ("주문번호 2024031512346 확인 부탁", []),
        ("2024-03-15에 주문했어요", []),
        ("가격이 1,200,000원이라니", []),
        ("운송장 6123-4567-8901 조회가 안 돼요", []),
        ("버전 10.2.3에서 오류", []),
    ],
)
def test_personal_data_and_its_false_friends(text: str, kinds: list[str]) -> None:
    assert [span.kind for span in find_pii(text)] == kinds


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_redaction_replaces_each_span_with_its_label() -> None:
    text = "010-1234-5678, kim@example.com 로 연락 주세요"
    assert redact(text, find_pii(text)) == "[전화번호], [이메일] 로 연락 주세요"


def test_kiwi_finds_morphemes_without_spaces() -> None:
    [tokens] = korean_tokens(["배송이너무늦어요"])
    forms = [t.form for t in tokens]
    assert "배송" in forms
    assert "늦" in forms
    assert all("배송이너무늦어요"[t.start : t.end] for t in tokens)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("배송이 빠르고 포장도 꼼꼼해서 정말 만족합니다", "positive"),
        ("최악이에요. 환불해 주세요. 다시는 안 삽니다", "negative"),
        ("The support team was amazing and fixed it in minutes, thank you!", "positive"),
        ("Terrible experience, the app crashes and nobody answers.", "negative"),
    ],
)
def test_clear_sentiment_is_recognised(text: str, label: str) -> None:
    [result] = analyze([TextIn(text)])
    assert result.sentiment.label == label
    assert -1 <= result.sentiment.score <= 1
    assert result.sentiment.evidence, "a label comes with the words behind it"
    for evidence in result.sentiment.evidence:
        assert text[evidence.start : evidence.end] == evidence.text


def test_empty_and_very_long_texts() -> None:
    empty, long = analyze([TextIn(""), TextIn("배송이 늦어요. " * 2500)])
    assert empty.sentiment.label == "neutral"
    assert empty.language == ""
    assert len(long.tokens) > 1000


class OneMeaning:
    """An encoder that gives every text the same meaning (the first axis) and keeps what it
    was asked to read."""

    def __init__(self) -> None:
        self.read: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.read.append(list(texts))
        rows = np.zeros((len(texts), DIMENSIONS), np.float32)
        rows[:, 0] = 1.0
        return rows


def test_the_analysis_embeds_with_the_encoder_it_is_given() -> None:
    encoder = OneMeaning()
    blank, long = analyze(
        [TextIn("  "), TextIn("배송이 늦어요. " * 400)], meaning=True, encoder=encoder
    )
    assert [len(text) for text in encoder.read[0]] == [2000], "blank not read, long cut"
    assert long.vector[0] == 1.0 and not blank.vector.any()
    [plain] = analyze([TextIn("배송이 늦어요")], encoder=encoder)
    assert plain.vector is None, "without meaning nothing is read"
    assert len(encoder.read) == 1


def test_a_store_reads_each_head_once_and_lets_the_oldest_adapted_one_go(tmp_path) -> None:
    shipped = MODELS.sentiment()
    paths = [tmp_path / f"ws{n}.npz" for n in range(3)]
    for n, path in enumerate(paths):
        SentimentModel(shipped.weights, shipped.bias, f"ws{n}").save(path)
    store = ModelFiles(keep=2)
    assert store.sentiment() is store.sentiment() and store.abuse() is store.abuse()
    first = store.sentiment_file(paths[0])
    assert first.version == "ws0" and store.sentiment_file(paths[0]) is first
    one = store.sentiment_file(paths[1])
    store.sentiment_file(paths[0])  # asked for again: ws1 is now the oldest
    store.sentiment_file(paths[2])  # a third: ws1 goes
    assert store.sentiment_file(paths[0]) is first
    again = store.sentiment_file(paths[1])
    assert again.version == "ws1" and again is not one, "let go, then read again"


def test_redacted_analysis_never_sees_the_personal_data() -> None:
    [result] = analyze([TextIn("010-1234-5678로 연락 주세요, 환불이 안 돼요")], redact_pii=True)
    assert [p.kind for p in result.pii] == ["phone"]
    assert all("010" not in t.form for t in result.tokens)
    assert all("010" not in e.text for e in result.sentiment.evidence)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("앱이 결제할 때마다 튕겨요. 오류 좀 고쳐 주세요", {"bug", "complaint"}),
        ("배송은 언제 되나요?", {"question"}),
        ("다크 모드가 생기면 좋겠어요", {"suggestion"}),
        ("Please add a way to save items for later.", {"suggestion"}),
        ("The app crashes when I open my orders", {"bug"}),
        ("상담원분이 정말 친절하셨어요. 감사합니다!", {"praise"}),
    ],
)
def test_feedback_types(text: str, expected: set[str]) -> None:
    [result] = analyze([TextIn(text)])
    found = {t.name for t in result.types}
    assert expected <= found, found
    for kind in result.types:
        if kind.name not in {"praise", "complaint"}:
            assert kind.evidence, kind


def test_keywords_are_nouns_and_compounds() -> None:
    [korean, english] = analyze(
        [
            TextIn("고객 센터 연결이 안 되고 고객 센터 대기 시간이 길어요"),
            TextIn("The checkout page and the checkout button are slow"),
        ]
    )
    assert "고객 센터" in korean.keywords
    assert "대기" in korean.keywords or "대기 시간" in korean.keywords
    assert english.keywords[0] == "checkout"
    assert "the" not in english.keywords


def test_abuse_is_flagged_with_its_words() -> None:
    clean, rude = analyze(
        [TextIn("배송이 조금 늦었지만 괜찮아요"), TextIn("이 개새끼들아 환불 안 해주면 죽여버린다")]
    )
    assert not clean.abuse.abusive
    assert rude.abuse.abusive
    assert rude.abuse.evidence


@pytest.mark.parametrize(
    "text",
    [
        "010-1234-5678로 연락 주세요, 환불이 안 돼요",
        "kim@example.com 카드 4111 1111 1111 1111 결제 오류",
        "생일 900101-1234567 적었는데 110-123-456789 국민은행으로 환불 부탁해요",
    ],
)
def test_redaction_labels_never_become_tokens_keywords_or_evidence(text: str) -> None:
    [result] = analyze([TextIn(text)], redact_pii=True)
    assert result.pii
    label_words = {"전화번호", "이메일", "카드번호", "주민번호", "계좌번호", "번호", "전화", "주민"}
    assert not label_words & {t.form for t in result.tokens}
    assert not any(word in k for k in result.keywords for word in label_words)
    evidence = [e.text for e in result.sentiment.evidence]
    evidence += [e.text for t in result.types for e in t.evidence]
    assert not any(word in e for e in evidence for word in label_words)
    assert "[" in result.redacted  # the stored copy still says what was there


def test_a_redaction_label_does_not_make_english_text_korean() -> None:
    [result] = analyze([TextIn("Call me at 415-555-2671 or (415) 555-2672")], redact_pii=True)
    assert [p.kind for p in result.pii] == ["phone", "phone"]
    assert (result.language, result.mixed) == ("en", False)


def test_feature_indices_are_the_masked_checksums_the_shipped_weights_were_trained_on() -> None:
    found = featurize("No Go", english_tokens("No Go"))
    names = ["w:no", "w:NOT_go", "b:no_go", "c:no", "c:og", "c:go", "c:nog", "c:ogo"]
    assert found.indices == tuple(crc32(n.encode()) & MASK for n in names)
