"""Train the analysis heads from ../shared/data (see its README for licences and rules).

Run by `soriloop train`; never at run time. A 5% dev split is carved from each file by a
hash of the row id, so the figures in docs/analysis.md are reproducible.
"""

from __future__ import annotations

import gzip
import json
import random
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from soriloop.analysis.cx_templates import cx_sentences
from soriloop.analysis.engine.features import BITS, featurize
from soriloop.analysis.engine.kinds import type_cues
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pipeline import Analysis, tokens_for
from soriloop.analysis.engine.sentiment import LABELS, AbuseModel, SentimentModel

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
# The team's hand-written customer-service dev sets: tuned and reported on, never trained on.
CX_DEV = Path(__file__).resolve().parents[2] / "testdata" / "cx"
RAW_PER_CLASS = 60_000
# KOTE's online comments (shopping and services among them) are the closest thing here to
# customer feedback; each counts this many times a movie review.
KOTE_WEIGHT = 5.0
KOTE_POSITIVE = {
    "기쁨", "행복", "감동/감탄", "고마움", "즐거움/신남", "환영/호의", "안심/신뢰", "뿌듯함",
    "흐뭇함(귀여움/예쁨)", "존경", "편안/쾌적", "기대감",
}  # fmt: skip
KOTE_NEGATIVE = {
    "불평/불만", "화남/분노", "안타까움/실망", "짜증", "어이없음", "한심함", "의심/불신",
    "증오/혐오", "지긋지긋", "역겨움/징그러움", "절망", "힘듦/지침", "재미없음", "귀찮음",
    "서러움", "당황/난처", "불안/걱정",
}  # fmt: skip


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    lang: str
    weight: float = 1.0
    source: str = ""  # the file (or "templates") it came from


def kote_label(emotions: list[str]) -> str | None:
    """Sentiment from KOTE's raters' emotions: a clear majority of one side, or "없음"."""
    positive = len(set(emotions) & KOTE_POSITIVE)
    negative = len(set(emotions) & KOTE_NEGATIVE)
    if "없음" in emotions and positive + negative <= 1:
        return "neutral"
    if positive >= 2 * max(negative, 1):
        return "positive"
    if negative >= 2 * max(positive, 1):
        return "negative"
    return None


def is_dev(row_id: str) -> bool:
    return zlib.crc32(row_id.encode()) % 20 == 0


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _raw_label(rating: int) -> str | None:
    if rating <= 3:
        return "negative"
    if rating in (5, 6):
        return "neutral"
    if rating >= 9:
        return "positive"
    return None


def sentiment_splits(data: Path) -> tuple[list[Example], dict[str, list[Example]]]:
    """Training examples and the named dev sets."""
    train: list[Example] = []
    dev: dict[str, list[Example]] = {
        "ko_binary": [],
        "ko_3class": [],
        "en_binary": [],
        "en_3class": [],
    }
    seen: set[str] = set()
    for row in _rows(data / "ko_sentiment_nsmc_train.jsonl"):
        example = Example(row["text"], row["label"], "ko", source="nsmc")
        (dev["ko_binary"] if is_dev(row["id"]) else train).append(example)
        seen.add(row["text"])
    for row in _rows(data / "ko_sentiment3_movie_train.jsonl"):
        example = Example(row["text"], row["label"], "ko", source="movie3")
        (dev["ko_3class"] if is_dev(row["id"]) else train).append(example)
        seen.add(row["text"])
    rng = random.Random(7)  # noqa: S311 - a reproducible sample, not a secret
    pools: dict[str, list[Example]] = {label: [] for label in LABELS}
    for row in _rows(data / "ko_reviews_nsmc_raw.jsonl.gz"):
        label = _raw_label(int(row["rating"]))
        if label and row["text"] not in seen and not is_dev(row["id"]):
            pools[label].append(Example(row["text"], label, "ko", source="nsmc_raw"))
    for pool in pools.values():
        rng.shuffle(pool)
        train += pool[:RAW_PER_CLASS]
    for row in _rows(data / "ko_emotion_kote_train.jsonl"):
        label = kote_label(row["label"])
        if label and not is_dev(row["id"]):
            train.append(Example(row["text"], label, "ko", KOTE_WEIGHT, "kote"))
    for row in _rows(data / "en_emotion_goemotions_train.jsonl"):
        groups = set(row["sentiment_group"]) - {"ambiguous"}
        if len(groups) != 1:
            continue
        example = Example(row["text"], groups.pop(), "en", source="goemotions")
        (dev["en_3class"] if is_dev(row["id"]) else train).append(example)
    for row in _rows(data / "en_sentiment_imdb_sentences.jsonl"):
        example = Example(row["text"], row["label"], "en", source="imdb")
        (dev["en_binary"] if is_dev(row["id"]) else train).append(example)
    cx_train, cx_dev = cx_examples(data)
    return train + cx_train, dev | cx_dev


# Banking77's intents in the guideline's terms: a reported problem is negative, a how-to
# question neutral; intents that could be either (fees asked about, a forgotten passcode)
# are left out.
BANKING_NEGATIVE = {
    "Refund_not_showing_up", "balance_not_updated_after_bank_transfer",
    "balance_not_updated_after_cheque_or_cash_deposit", "beneficiary_not_allowed", "card_arrival",
    "card_not_working", "card_payment_fee_charged", "card_payment_not_recognised",
    "card_payment_wrong_exchange_rate", "card_swallowed", "cash_withdrawal_not_recognised",
    "compromised_card", "contactless_not_working", "declined_card_payment", "declined_cash_withdrawal",
    "declined_transfer", "direct_debit_payment_not_recognised", "extra_charge_on_statement",
    "failed_transfer", "lost_or_stolen_card", "lost_or_stolen_phone", "pending_card_payment",
    "pending_cash_withdrawal", "pending_top_up", "pending_transfer", "pin_blocked",
    "reverted_card_payment?", "top_up_failed", "top_up_reverted", "transaction_charged_twice",
    "transfer_fee_charged", "transfer_not_received_by_recipient", "unable_to_verify_identity",
    "virtual_card_not_working", "wrong_amount_of_cash_received", "wrong_exchange_rate_for_cash_withdrawal",
}  # fmt: skip
BANKING_NEUTRAL = {
    "activate_my_card", "age_limit", "apple_pay_or_google_pay", "atm_support", "automatic_top_up",
    "card_about_to_expire", "card_acceptance", "card_delivery_estimate", "card_linking", "change_pin",
    "country_support", "disposable_card_limits", "edit_personal_details", "exchange_rate",
    "exchange_via_app", "fiat_currency_support", "get_disposable_virtual_card", "get_physical_card",
    "getting_spare_card", "getting_virtual_card", "order_physical_card", "receiving_money",
    "supported_cards_and_currencies", "top_up_by_cash_or_cheque", "top_up_limits", "topping_up_by_card",
    "transfer_into_account", "transfer_timing", "verify_my_identity", "verify_source_of_funds",
    "verify_top_up", "visa_or_mastercard", "why_verify_identity",
}  # fmt: skip
# (file, language, weight, most rows per label): customer reviews of shops, food, hotels and
# games, the closest data here to customer feedback; their 3-star rows are mixed, not the
# guideline's neutral, and are left out.
REVIEW_FILES = (
    ("ko_naver_shopping_train.jsonl", "ko", 2.0, 3_000),
    ("ko_steam_reviews_train.jsonl", "ko", 1.0, 6_000),
    ("en_womens_ecommerce_reviews_train.jsonl", "en", 1.0, 3_000),
    ("en_amazon_fine_food_train.jsonl", "en", 1.0, 1_500),
    ("en_hotel_reviews_515k_train.jsonl", "en", 1.5, 6_000),
)
BANKING_WEIGHT = 2.0
TEMPLATE_WEIGHT = 1.0
TEMPLATES_PER_CLASS = 3_000


def banking_label(intent: str) -> str | None:
    if intent in BANKING_NEGATIVE:
        return "negative"
    if intent in BANKING_NEUTRAL:
        return "neutral"
    return None


def cx_examples(data: Path) -> tuple[list[Example], dict[str, list[Example]]]:
    """Customer-service training rows: Banking77 by the guideline, customer reviews (capped
    per label) and the composed sentences of ``cx_templates``; and their dev rows."""
    found: list[Example] = []
    dev: dict[str, list[Example]] = {"en_banking77": [], "ko_reviews": [], "en_reviews": []}
    for row in _rows(data / "en_intents_banking77_train.jsonl"):
        label = banking_label(row["label"])
        if label:
            example = Example(row["text"], label, "en", BANKING_WEIGHT, "banking77")
            (dev["en_banking77"] if is_dev(row["id"]) else found).append(example)
    for name, lang, weight, cap in REVIEW_FILES:
        taken: Counter[str] = Counter()
        for row in _rows(data / name):
            label = row["label"]
            if label == "neutral":
                continue
            example = Example(row["text"][:1000], label, lang, weight, name)
            if is_dev(row["id"]):
                dev[f"{lang}_reviews"].append(example)
            elif taken[label] < cap:
                taken[label] += 1
                found.append(example)
    found += [
        Example(text, label, lang, TEMPLATE_WEIGHT, "templates")
        for text, label, lang in cx_sentences(TEMPLATES_PER_CLASS)
    ]
    return found, dev


def vectorize(texts: list[str]) -> Any:
    """A CSR matrix of the engine's own features (so training and prediction agree)."""
    from scipy.sparse import csr_matrix

    languages = [detect_language(t).language for t in texts]
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for start in range(0, len(texts), 5000):
        chunk = texts[start : start + 5000]
        for offset, (text, tokens) in enumerate(
            zip(chunk, tokens_for(chunk, languages[start : start + 5000]), strict=True)
        ):
            features = featurize(text, tokens)
            rows += [start + offset] * len(features.indices)
            cols += features.indices
            vals += features.values
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << BITS), dtype=np.float32)


def _fit_linear(
    train: list[Example], y: np.ndarray, *, alpha: float, epochs: int
) -> tuple[np.ndarray, np.ndarray]:
    """SGD logistic regression over the engine's features; returns (weights, biases)."""
    from sklearn.linear_model import SGDClassifier

    x = vectorize([e.text for e in train])
    classifier = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=epochs,
        tol=None,
        class_weight="balanced",
        random_state=7,
    )
    classifier.fit(x, y, sample_weight=np.array([e.weight for e in train]))
    return classifier.coef_.astype(np.float32), classifier.intercept_.astype(np.float32)


MEANING_PER_GROUP = 1_200  # rows per (source, language, label) embedded for the meaning head
# Movie ratings teach the meaning head little about customers (0.65 on NSMC alone, where the
# hashed head gets 0.87); the hashed head keeps them.
MEANING_SKIP = {"nsmc_raw", "movie3"}
# Banking77 and the composed sentences are the only customer-service questions and calm
# complaints here; in the meaning head they count this many times their training weight
# (chosen on the customer-service dev sets among 1, 3 and 6).
MEANING_CX_BOOST = 3.0
MOVIE_SOURCES = ("nsmc", "movie3", "nsmc_raw")
DOMAIN_MOVIES = 3_000  # movie reviews embedded for the domain gate's "not customer" side


def meaning_sample(train: list[Example], *, per_group: int = MEANING_PER_GROUP) -> list[Example]:
    """A reproducible sample for the meaning head, the same number of rows from each source
    and label: embedding all 380,000 rows would take an hour, and a 512-feature head learns
    as much from about 30,000 spread over the sources."""
    groups: dict[tuple[str, str, str], list[Example]] = {}
    for example in train:
        if example.source not in MEANING_SKIP:
            key = (example.source, example.lang, example.label)
            boost = MEANING_CX_BOOST if example.source in ("templates", "banking77") else 1.0
            groups.setdefault(key, []).append(
                replace(example, text=example.text[:500], weight=example.weight * boost)
            )
    rng = random.Random(3)  # noqa: S311 - a reproducible sample, not a secret
    sample: list[Example] = []
    for key in sorted(groups):
        rows = groups[key]
        rng.shuffle(rows)
        sample += rows[:per_group]
    return sample  # long reviews cut to their first 500 characters, where their verdict is


def cx_dev_sets(folder: Path = CX_DEV) -> dict[str, list[Example]]:
    """``cx_ko`` and ``cx_en`` from the dev set files (empty when they are missing)."""
    found: dict[str, list[Example]] = {}
    for lang in ("ko", "en"):
        path = folder / f"{lang}.jsonl"
        if path.exists():
            found[f"cx_{lang}"] = [Example(r["text"], r["label"], lang) for r in _rows(path)]
    return found


def fit_meaning(
    train: list[Example], vectors: np.ndarray, *, c: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression over unit sentence embeddings and the texts' type
    cues; (weights, biases)."""
    from sklearn.linear_model import LogisticRegression

    cues = np.array([type_cues(e.text) for e in train], np.float32)
    y = np.array([LABELS.index(e.label) for e in train])
    classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    classifier.fit(np.hstack([vectors, cues]), y, sample_weight=np.array([e.weight for e in train]))
    return classifier.coef_.astype(np.float32), classifier.intercept_.astype(np.float32)


# Where the meaning head's reading is worth most: customers writing to a business (support
# queries, shopping, hotel, food and game reviews, KOTE's comments). Movie reviews and Reddit
# posts are the hashed head's home ground.
CX_SOURCES = {"templates", "banking77", "kote", *(name for name, *_ in REVIEW_FILES)}


def domain_movies(train: list[Example]) -> list[Example]:
    """The movie reviews the domain gate learns "not customer-service language" from (with
    the sample's Reddit comments and IMDB sentences)."""
    movies = [e for e in train if e.source in MOVIE_SOURCES]
    random.Random(5).shuffle(movies)  # noqa: S311 - a reproducible sample, not a secret
    return movies[:DOMAIN_MOVIES]


def fit_domain(vectors: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """The meaning head's gate: logistic regression of "customer-service language" over the
    embeddings; weights with the bias last."""
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    classifier.fit(vectors, customer.astype(int))
    return np.concatenate([classifier.coef_[0], classifier.intercept_]).astype(np.float32)


BLEND_GRID = tuple(round(0.1 * i, 1) for i in range(11))
BLEND_TOLERANCE = 0.005


def blend_shares(
    hashed: dict[str, np.ndarray],
    meaning: dict[str, np.ndarray],
    gates: dict[str, np.ndarray],
    gold: dict[str, list[str]],
) -> dict[str, float]:
    """Per dev set, the meaning head's share of the blend (0 to 1 in tenths, times each row's
    domain gate): the smallest within ``BLEND_TOLERANCE`` of the best macro-F1, since every
    tenth more of the meaning head costs the movie reviews the hashed head reads best
    (Korean 2026-12-01: CX 0.814 / NSMC 0.879 at 0.7, 0.815 / 0.866 at 1.0). ``hashed`` and
    ``meaning`` are (n, 3) probabilities of the two heads, ``gates`` (n,) the gate's."""
    chosen = {}
    for name, labels in gold.items():

        def macro_f1(share: float, name: str = name, labels: list[str] = labels) -> float:
            weight = (share * gates[name])[:, None]
            blended = (1 - weight) * hashed[name] + weight * meaning[name]
            predicted = [LABELS[i] for i in blended.argmax(1)]
            return float(scores(labels, predicted, list(LABELS))["macro_f1"])

        found = {share: macro_f1(share) for share in BLEND_GRID}
        best = max(found.values())
        chosen[name] = min(share for share, f1 in found.items() if f1 >= best - BLEND_TOLERANCE)
    return chosen


def fit_sentiment(train: list[Example], *, alpha: float = 5e-7, epochs: int = 15) -> SentimentModel:
    y = np.array([LABELS.index(e.label) for e in train])
    weights, bias = _fit_linear(train, y, alpha=alpha, epochs=epochs)
    return SentimentModel(weights, bias, f"sentiment-hash{BITS}-sgd-{time.strftime('%Y%m%d')}")


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall, F1 and support from the counts of one class."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def scores(gold: list[str], predicted: list[str], labels: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix."""
    confusion: dict[str, Counter[str]] = {g: Counter() for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion.setdefault(g, Counter())[p] += 1
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = confusion.get(label, Counter())[label]
        fp = sum(confusion[g][label] for g in confusion if g != label)
        fn = sum(confusion.get(label, Counter()).values()) - tp
        per_class[label] = prf(tp, fp, fn)
    n = len(gold)
    return {
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / n, 4)
        if n
        else 0.0,
        "macro_f1": round(sum(c["f1"] for c in per_class.values()) / len(labels), 4)
        if labels
        else 0.0,
        "per_class": per_class,
        "confusion": {g: {p: confusion[g][p] for p in labels} for g in labels},
    }


def multilabel_report(
    gold: list[set[str]], predicted: list[set[str]], classes: list[str]
) -> dict[str, Any]:
    """Per-class precision / recall / F1 over label sets, exact-match accuracy, macro-F1 over
    the classes that occur in the gold labels."""
    per_class = {}
    for kind in classes:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if kind in g and kind in p)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if kind not in g and kind in p)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if kind in g and kind not in p)
        per_class[kind] = prf(tp, fp, fn)
    present = [k for k in classes if per_class[k]["support"]]
    restricted = [
        (g & set(classes), p & set(classes)) for g, p in zip(gold, predicted, strict=True)
    ]
    return {
        "n": len(gold),
        "accuracy": round(sum(g == p for g, p in restricted) / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(per_class[k]["f1"] for k in present) / len(present), 4)
        if present
        else 0.0,
        "per_class": per_class,
        "confusion": None,
    }


def score_sentiment(gold: list[str], results: list[Analysis]) -> dict[str, Any]:
    """Score predictions against gold labels: a file without "neutral" is a binary task
    (the prediction chooses between positive and negative only), else a 3-class one."""
    if "neutral" not in gold:
        predicted = [
            "positive"
            if a.sentiment.probabilities[2] >= a.sentiment.probabilities[0]
            else "negative"
            for a in results
        ]
        return scores(gold, predicted, ["negative", "positive"])
    return scores(gold, [a.sentiment.label for a in results], list(LABELS))


def abuse_splits(data: Path) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    dev: list[Example] = []
    for row in _rows(data / "ko_abuse_curse_train.jsonl"):
        example = Example(row["text"], row["label"], "ko")
        (dev if is_dev(row["id"]) else train).append(example)
    return train, dev


def fit_abuse(train: list[Example], *, alpha: float = 1e-5, epochs: int = 30) -> AbuseModel:
    y = np.array([1 if e.label == "abusive" else 0 for e in train])
    weights, bias = _fit_linear(train, y, alpha=alpha, epochs=epochs)
    return AbuseModel(weights, bias, f"abuse-hash{BITS}-sgd-{time.strftime('%Y%m%d')}")
