"""The meaning pass: sentence embeddings for analysed records the labels pass left without.

The labels pass (``analysis_run_batch``) embeds a small batch itself, which is the steady
state; a full batch (a burst, an import, an upgrade's backlog) is labelled without embeddings,
since embedding costs more than all the rest of the analysis together, and this pass catches
up behind it, newest records first, and then:

- stores the record's vector (``Enrichment.vector``) for similar feedback by meaning and for
  emerging issues;
- assigns the record's topics again with the meaning of the text and of each topic (its
  examples and names) added to keywords and features; a record whose topics a person
  corrected keeps them;
- reads its sentiment again with the meaning head blended in (and its types, which follow
  the sentiment); a record whose sentiment or types a person corrected keeps them.
Changed labels mark the record's day for the rollups.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from soriloop.analysis.adapt import current_model
from soriloop.analysis.engine.embed import ENCODER, Encoder, embed, pack
from soriloop.analysis.engine.features import Features, featurize
from soriloop.analysis.engine.kinds import feedback_types, scan_types, type_cues
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pipeline import MEANING, tokens_for
from soriloop.analysis.engine.sentiment import Meaning
from soriloop.analysis.engine.store import MODELS, ModelStore
from soriloop.analysis.engine.tokens import Token
from soriloop.analysis.engine.topics import CompiledTopic, assign_topics
from soriloop.analysis.models import Enrichment
from soriloop.analysis.selectors import topic_names
from soriloop.analysis.services import spans, topic_entries
from soriloop.analysis.taxonomy import compiled_topics
from soriloop.core.changes import changes_append, events_for

logger = logging.getLogger(__name__)

BATCH = 64  # about 0.1 s of embedding: the labels loop is never kept waiting long


def meaning_run_batch(
    *,
    owner: str = "",
    limit: int = BATCH,
    workspace_id: int | None = None,
    encoder: Encoder = ENCODER,
    models: ModelStore = MODELS,
) -> int:
    """Embed up to ``limit`` analysed records (of one workspace, if given) that have no vector
    yet, newest first, by ``encoder``, and re-assign their topics and sentiment with meaning
    (the heads of ``models``); returns how many it handled. Idempotent: two workers picking
    the same records store the same result."""
    pending = Enrichment.objects.filter(vector=None)
    if workspace_id is not None:
        pending = pending.filter(workspace_id=workspace_id)
    rows = list(
        pending.select_related("feedback", "feedback__workspace").order_by("-feedback_id")[:limit]
    )
    if not rows:
        return 0
    texts = [row.redacted_text or row.feedback.text for row in rows]
    vectors = embed(texts, encoder=encoder)
    tokens = tokens_for(
        texts,
        [row.language or detect_language(t).language for row, t in zip(rows, texts, strict=True)],
    )
    taxonomies: dict[int, tuple[list[CompiledTopic], dict[str, tuple[str, str]]]] = {}
    changed = []
    with transaction.atomic():
        for row, text, vector, toks in zip(rows, texts, vectors, tokens, strict=True):
            fields: dict[str, Any] = {"vector": pack(vector) if text.strip() else b""}
            features = featurize(text, toks)
            if text.strip() and _sentiment_again(row, text, features, toks, vector, models):
                changed.append(row.feedback)
            fields.update(
                sentiment_label=row.sentiment_label,
                sentiment_score=row.sentiment_score,
                sentiment_confidence=row.sentiment_confidence,
                evidence=row.evidence,
                types=row.types,
                type_names=row.type_names,
            )
            if text.strip() and "topics" not in row.corrections:
                workspace = row.feedback.workspace
                if workspace.pk not in taxonomies:
                    taxonomies[workspace.pk] = (
                        compiled_topics(workspace=workspace, meaning=True, encoder=encoder),
                        topic_names(workspace_id=workspace.pk),
                    )
                topics, names = taxonomies[workspace.pk]
                found = assign_topics(text, features, topics, vector=vector)
                keys = row.topic_keys
                row.topics = topic_entries(found, names)
                row.index_labels()
                fields.update(topics=row.topics, topic_keys=row.topic_keys)
                if row.topic_keys != keys:
                    changed.append(row.feedback)
            if MEANING not in row.model_version:
                fields["model_version"] = f"{row.model_version}{MEANING}"[:200]
            # only if the record was not analysed again meanwhile (its labels would be newer)
            Enrichment.objects.filter(pk=row.pk, analyzed_at=row.analyzed_at).update(**fields)
        changes_append(events_for(changed, "feedback.analyzed", step="meaning"))
    return len(rows)


def _sentiment_again(
    row: Enrichment,
    text: str,
    features: Features,
    tokens: list[Token],
    vector: Any,
    models: ModelStore,
) -> bool:
    """Read the sentiment of a record labelled without meaning again, blended with the meaning
    head, and its types after it, into ``row``; True when a label changed. People's
    corrections stay."""
    head = models.meaning()
    if (
        head is None
        or MEANING in row.model_version
        or {"sentiment", "types"} & set(row.corrections)
    ):
        return False
    model = current_model(row.workspace_id, models=models)
    scan = scan_types(text)
    blend = Meaning(head, vector, row.language, type_cues(text, scan=scan))
    sentiment = model.predict(text, features, meaning=blend)
    types = [
        {"name": t.name, "confidence": t.confidence, "evidence": spans(t.evidence)}
        for t in feedback_types(text, tokens, sentiment, scan=scan)
    ]
    before = (row.sentiment_label, row.type_names)
    row.sentiment_label = sentiment.label
    row.sentiment_score = sentiment.score
    row.sentiment_confidence = sentiment.confidence
    row.evidence = spans(sentiment.evidence)
    row.types = types
    row.index_labels()
    return (row.sentiment_label, row.type_names) != before
