"""`soriloop eval` on small fixture files."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_binary_files_are_scored_without_neutral(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path / "ko.jsonl",
        [
            {"text": "정말 최고의 서비스였어요", "label": "positive", "lang": "ko"},
            {"text": "최악입니다 환불해 주세요", "label": "negative"},
            {"text": "너무 좋아요 또 살게요", "label": "positive"},
            {"text": "배송이 엉망이고 불친절해요", "label": "negative"},
        ],
    )
    call_command("eval", "sentiment", str(path))
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 4
    assert set(report["per_class"]) == {"negative", "positive"}
    assert report["accuracy"] == 1.0
    assert report["confusion"]["positive"]["positive"] == 2
    assert report["texts_per_s"] > 0


def test_three_class_files_get_macro_f1(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path / "three.jsonl",
        [
            {"text": "Love it", "label": "positive"},
            {"text": "It is a chair", "label": "neutral"},
            {"text": "Awful, broken on arrival", "label": "negative"},
        ],
    )
    call_command("eval", "sentiment", str(path))
    report = json.loads(capsys.readouterr().out)
    assert set(report["per_class"]) == {"negative", "neutral", "positive"}
    assert 0 <= report["macro_f1"] <= 1


def test_bad_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="needs"):
        call_command("eval", "sentiment", str(write(tmp_path / "a.jsonl", [{"text": "x"}])))
    with pytest.raises(CommandError, match="unknown sentiment labels"):
        call_command(
            "eval", "sentiment", str(write(tmp_path / "b.jsonl", [{"text": "x", "label": "meh"}]))
        )


def test_types_are_scored_as_multi_label(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path / "types.jsonl",
        [
            {"text": "앱이 자꾸 튕겨요", "label": ["bug", "complaint"]},
            {"text": "배송은 언제 되나요?", "label": "question"},
            {"text": "Please add dark mode", "label": ["suggestion"]},
        ],
    )
    call_command("eval", "type", str(path))
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 3
    assert report["per_class"]["question"]["recall"] == 1.0
    assert report["per_class"]["bug"]["support"] == 1


def test_abuse_files_are_scored(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path / "abuse.jsonl",
        [
            {"text": "배송이 조금 늦었어요", "label": "not_abusive"},
            {"text": "이 개새끼들아 죽여버린다", "label": "abusive"},
        ],
    )
    call_command("eval", "abuse", str(path))
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] == 1.0


def test_peers_are_scored_on_the_same_rows(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path / "cx.jsonl",
        [
            {"text": "Refund not received", "label": "negative"},
            {"text": "The agent was wonderful, thank you!", "label": "positive"},
            {"text": "How do I change my delivery address?", "label": "neutral"},
            {"text": "This is the worst, terrible service", "label": "negative"},
        ],
    )
    call_command("eval", "sentiment", str(path), "--peers")
    report = json.loads(capsys.readouterr().out)
    assert set(report["peers"]) == {"vader", "textblob"}
    vader = report["peers"]["vader"]
    assert vader["n"] == 4 and set(vader["per_class"]) == {"negative", "neutral", "positive"}
    # VADER finds no negative word in a calm complaint: it calls it neutral
    assert vader["per_class"]["negative"]["recall"] == 0.5
    assert report["accuracy"] >= vader["accuracy"]


def test_types_and_topics_are_read_from_their_own_fields(tmp_path: Path, capsys) -> None:
    rows = [
        {"text": "환불이 2주째 안 들어왔어요", "label": "negative", "types": ["complaint"],
         "topics": ["refund"]},
        {"text": "배송지 변경 가능한가요?", "label": "neutral", "types": ["question"],
         "topics": ["delivery"]},
    ]  # fmt: skip
    path = write(tmp_path / "cx.jsonl", rows)
    call_command("eval", "type", str(path))
    types = json.loads(capsys.readouterr().out)
    assert types["per_class"]["question"]["support"] == 1
    call_command("eval", "topics", str(path))
    topics = json.loads(capsys.readouterr().out)
    assert topics["per_class"]["refund"]["support"] == 1 and topics["n"] == 2
