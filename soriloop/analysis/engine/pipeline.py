"""The analysis pipeline over a batch of texts: language, personal data, tokens, sentiment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from soriloop.analysis.engine.embed import ENCODER, Encoder, embed
from soriloop.analysis.engine.features import featurize
from soriloop.analysis.engine.keywords import keywords
from soriloop.analysis.engine.kinds import FeedbackType, feedback_types, scan_types, type_cues
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pii import PiiSpan, find_pii, redact_with_labels
from soriloop.analysis.engine.sentiment import (
    Abuse,
    Meaning,
    MeaningHead,
    Sentiment,
    SentimentModel,
)
from soriloop.analysis.engine.store import MODELS, ModelStore
from soriloop.analysis.engine.tokens import Token, english_tokens, korean_tokens
from soriloop.analysis.engine.topics import CompiledTopic, TopicMatch, assign_topics

MEANING = "+usem3"  # in the model version of a record whose topics used its embedding


@dataclass(frozen=True)
class TextIn:
    text: str


@dataclass(frozen=True)
class Analysis:
    language: str
    mixed: bool
    pii: tuple[PiiSpan, ...]
    redacted: str  # the text with personal data replaced by labels
    tokens: tuple[Token, ...]
    sentiment: Sentiment
    types: tuple[FeedbackType, ...]
    topics: tuple[TopicMatch, ...]
    keywords: tuple[str, ...]
    abuse: Abuse
    model_version: str
    vector: Any = None  # the unit sentence embedding (np.ndarray), when analysed with meaning


def tokens_for(texts: Sequence[str], languages: Sequence[str]) -> list[list[Token]]:
    """Kiwi for Korean (and mixed) texts in one batch, the word tokenizer for the rest."""
    korean = [i for i, lang in enumerate(languages) if lang == "ko"]
    found: list[list[Token]] = [
        english_tokens(t) if languages[i] != "ko" else [] for i, t in enumerate(texts)
    ]
    for i, tokens in zip(korean, korean_tokens([texts[i] for i in korean]), strict=True):
        found[i] = tokens
    return found


def _blank(text: str, labels: Sequence[tuple[int, int]]) -> str:
    if not labels:
        return text
    chars = list(text)
    for start, end in labels:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def analyze(
    items: Sequence[TextIn],
    *,
    redact_pii: bool = False,
    model: SentimentModel | None = None,
    topics: Sequence[CompiledTopic] = (),
    meaning: bool = False,
    head: MeaningHead | None = None,
    encoder: Encoder = ENCODER,
    models: ModelStore = MODELS,
) -> list[Analysis]:
    """Analyse a batch with the heads of ``models`` (``model`` and ``head``, when given,
    instead of its sentiment and meaning heads). With ``redact_pii`` the model reads the
    redacted text, so personal data never reaches tokens, features or evidence. With
    ``meaning`` the texts are embedded by ``encoder``, sentiment blends the hashed head with
    the meaning head and topics are assigned by meaning too (``topics`` compiled with
    meaning); the worker does so for small batches and leaves a burst's embeddings to its
    meaning pass."""
    model = model or models.sentiment()
    head = head or (models.meaning() if meaning else None)
    found = [tuple(find_pii(item.text)) for item in items]
    labelled = [redact_with_labels(i.text, list(s)) for i, s in zip(items, found, strict=True)]
    redacted = [text for text, _ in labelled]
    read = redacted if redact_pii else [item.text for item in items]
    # the rules and the tokenizer read the labels as blanks (same offsets), so "[전화번호]"
    # never becomes a token, keyword, evidence or Hangul that makes English text Korean
    rules = (
        [_blank(t, labels) for t, (_, labels) in zip(read, labelled, strict=True)]
        if redact_pii
        else read
    )
    languages = [detect_language(text) for text in rules]
    tokens = tokens_for(rules, [lang.language for lang in languages])
    abuse = models.abuse()
    version = f"{model.version}+{abuse.version}"
    if meaning:
        version += f"+{head.version}{MEANING}" if head else MEANING
    vectors: Sequence[Any] = [None] * len(read)
    if meaning:
        vectors = list(embed(read, encoder=encoder))
    results = []
    for text, spans, clean, lang, toks, vector in zip(
        rules, found, redacted, languages, tokens, vectors, strict=True
    ):
        features = featurize(text, toks)
        scan = scan_types(text)  # read by the meaning head's cues and by the types
        blend = None
        if head is not None and vector is not None:
            blend = Meaning(head, vector, lang.language, type_cues(text, scan=scan))
        sentiment = model.predict(text, features, meaning=blend)
        results.append(
            Analysis(
                language=lang.language,
                mixed=lang.mixed,
                pii=spans,
                redacted=clean,
                tokens=tuple(toks),
                sentiment=sentiment,
                types=feedback_types(text, toks, sentiment, scan=scan),
                topics=assign_topics(text, features, topics, vector=vector),
                keywords=keywords(toks),
                abuse=abuse.predict(text, features),
                model_version=version,
                vector=vector,
            )
        )
    return results
