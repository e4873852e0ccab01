"""Run the engine over claimed records and store what it found, with provenance."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.analysis.adapt import adapted_model, current_model
from soriloop.analysis.corrections import apply_corrections, latest_corrections
from soriloop.analysis.engine.embed import ENCODER, Encoder, pack
from soriloop.analysis.engine.heads import Evidence
from soriloop.analysis.engine.pii import mask_json, mask_text
from soriloop.analysis.engine.pipeline import Analysis, TextIn, analyze
from soriloop.analysis.engine.similar import signature, to_bytes
from soriloop.analysis.engine.store import MODELS, ModelStore
from soriloop.analysis.engine.topics import TopicMatch
from soriloop.analysis.models import AnalysisSettings, Enrichment
from soriloop.analysis.queue import queue_claim, queue_finish, queue_release_orphans, queue_requeue
from soriloop.analysis.selectors import topic_names
from soriloop.analysis.tasks import analysis_adapt
from soriloop.analysis.taxonomy import compiled_topics
from soriloop.core.changes import changes_append, events_for
from soriloop.core.heartbeat import live_worker_ids
from soriloop.core.models import Change
from soriloop.feedback.models import Feedback

logger = logging.getLogger(__name__)

BATCH = 200
# A batch this small is embedded at once (records arrive at under ~300/s); a larger one is
# labelled without embeddings and left to the meaning pass (analysis/meaning.py).
INLINE_MEANING = 64


def analysis_settings_get(*, workspace: Workspace) -> AnalysisSettings:
    settings, _created = AnalysisSettings.objects.get_or_create(workspace=workspace)
    return settings


def spans(evidence: Iterable[Evidence]) -> list[dict[str, Any]]:
    return [{"start": e.start, "end": e.end, "text": e.text} for e in evidence]


def topic_entries(
    matches: Iterable[TopicMatch], names: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """The JSON of a record's topics. Names are copied: the record says what its topics were
    called when it was analysed."""
    return [
        {
            "key": t.key,
            "name_ko": names.get(t.key, (t.key, t.key))[0],
            "name_en": names.get(t.key, (t.key, t.key))[1],
            "confidence": t.confidence,
            "evidence": spans(t.evidence),
        }
        for t in matches
    ]


def _enrichment(
    record: Feedback, result: Analysis, names: dict[str, tuple[str, str]]
) -> Enrichment:
    sentiment = result.sentiment
    enrichment = Enrichment(
        feedback=record,
        workspace_id=record.workspace_id,
        language=result.language,
        mixed=result.mixed,
        sentiment_label=sentiment.label,
        sentiment_score=sentiment.score,
        sentiment_confidence=sentiment.confidence,
        evidence=spans(sentiment.evidence),
        topics=topic_entries(result.topics, names),
        types=[
            {"name": t.name, "confidence": t.confidence, "evidence": spans(t.evidence)}
            for t in result.types
        ],
        keywords=list(result.keywords),
        abusive=result.abuse.abusive,
        abuse_confidence=result.abuse.confidence,
        pii=[{"kind": s.kind, "start": s.start, "end": s.end} for s in result.pii],
        redacted_text=result.redacted if result.pii else "",
        model_version=result.model_version,
        analyzed_at=timezone.now(),
        signature=to_bytes(signature(result.redacted if result.pii else record.text)),
        vector=None if result.vector is None else pack(result.vector),
    )
    enrichment.index_labels()
    return enrichment


def analysis_run_batch(
    *,
    owner: str,
    limit: int = BATCH,
    inline_meaning: int = INLINE_MEANING,
    encoder: Encoder = ENCODER,
    models: ModelStore = MODELS,
) -> int:
    """Claim, analyse and store one micro-batch; returns how many records it handled. A batch
    of at most ``inline_meaning`` records is embedded by ``encoder`` at once; the heads come
    from ``models``.

    Idempotent: a record analysed again gets its enrichment replaced, never duplicated.
    """
    records = queue_claim(owner=owner, limit=limit)
    if not records:
        return 0
    settings = {
        s.workspace_id: s
        for s in AnalysisSettings.objects.filter(workspace_id__in={r.workspace_id for r in records})
    }
    default = AnalysisSettings()
    try:
        results = _analyze(
            records,
            settings,
            default,
            inline_meaning=inline_meaning,
            encoder=encoder,
            models=models,
        )
    except Exception:  # one bad batch must not stop the analyser; the records say failed
        logger.exception("analysis failed for feedback %s..%s", records[0].pk, records[-1].pk)
        with transaction.atomic():
            queue_finish(owner=owner, languages={}, failed=[r.pk for r in records])
            changes_append(events_for(records, "feedback.analyzed", failed=True))
        return len(records)
    texts: dict[int, str] = {}
    metadata: dict[int, Any] = {}
    for record, result in zip(records, results, strict=True):
        if settings.get(record.workspace_id, default).keep_original:
            continue
        if result.pii:
            texts[record.pk] = result.redacted
        masked = mask_json(record.metadata)
        if masked != record.metadata:
            metadata[record.pk] = masked
    with transaction.atomic():
        Enrichment.objects.filter(feedback__in=records).delete()
        names: dict[int, dict[str, tuple[str, str]]] = {
            pk: topic_names(workspace_id=pk) for pk in {r.workspace_id for r in records}
        }
        enrichments = [
            _enrichment(r, a, names[r.workspace_id]) for r, a in zip(records, results, strict=True)
        ]
        corrected = latest_corrections(r.pk for r in records)
        for enrichment in enrichments:
            if enrichment.feedback_id in corrected:
                # people's corrections win over the model, also after re-analysis
                apply_corrections(enrichment, corrected[enrichment.feedback_id])
        Enrichment.objects.bulk_create(enrichments)
        queue_finish(
            owner=owner,
            languages={r.pk: a.language for r, a in zip(records, results, strict=True)},
            texts=texts,
            metadata=metadata,
        )
        changes_append(events_for(records, "feedback.analyzed", step="labels"))
    return len(records)


def _analyze(
    records: list[Feedback],
    settings: dict[int, AnalysisSettings],
    default: AnalysisSettings,
    *,
    inline_meaning: int,
    encoder: Encoder,
    models: ModelStore,
) -> list[Analysis]:
    """Analyse in groups that share a workspace (its taxonomy) and a redaction choice."""
    groups: dict[tuple[int, bool], list[Feedback]] = {}
    for record in records:
        redact_pii = settings.get(record.workspace_id, default).redact_pii
        groups.setdefault((record.workspace_id, redact_pii), []).append(record)
    found: dict[int, Analysis] = {}
    for (workspace_id, redact_pii), group in groups.items():
        texts = [TextIn(r.text) for r in group]
        # adapted to the workspace, when it has one
        model = current_model(workspace_id, models=models)
        results = None
        if len(records) <= inline_meaning:
            try:
                topics = compiled_topics(
                    workspace=group[0].workspace, meaning=True, encoder=encoder
                )
                results = analyze(
                    texts,
                    redact_pii=redact_pii,
                    topics=topics,
                    model=model,
                    meaning=True,
                    encoder=encoder,
                    models=models,
                )
            except Exception:  # the labels must not wait on the encoder: the meaning pass retries
                logger.exception("embedding failed; labelling feedback without meaning")
        if results is None:
            topics = compiled_topics(workspace=group[0].workspace)
            results = analyze(
                texts, redact_pii=redact_pii, topics=topics, model=model, models=models
            )
        for record, result in zip(group, results, strict=True):
            found[record.pk] = result
    return [found[r.pk] for r in records]


def analysis_release_orphans() -> int:
    """Maintenance hook: records claimed by an analyser that stopped beating go back."""
    return queue_release_orphans(live_owners=live_worker_ids())


def analysis_settings_update(
    *, actor: Membership, redact_pii: bool, keep_original: bool
) -> AnalysisSettings:
    require(actor, Action.MANAGE_SETTINGS)
    settings = analysis_settings_get(workspace=actor.workspace)
    settings.redact_pii = redact_pii
    settings.keep_original = keep_original
    settings.save()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="analysis.settings",
        data={"redact_pii": redact_pii, "keep_original": keep_original},
    )
    return settings


def analysis_adapt_request(*, actor: Membership) -> None:
    """Queue an adaptation of the workspace's models to its corrections (audited)."""
    require(actor, Action.MANAGE_SETTINGS)
    audit_record(workspace=actor.workspace, actor=actor.user, action="analysis.adapt")
    analysis_adapt.enqueue(workspace_id=actor.workspace.pk)


@transaction.atomic
def analysis_model_use(*, actor: Membership, model: str) -> AnalysisSettings:
    """Analyse the workspace's records from now on with the ``model`` "shipped" sentiment
    head or its "adapted" one (audited). Raises ``ValidationError`` for another value or for
    "adapted" when the workspace has no adapted head; records already analysed keep their
    labels until re-analysed."""
    require(actor, Action.MANAGE_SETTINGS)
    if model not in ("shipped", "adapted"):
        raise ValidationError({"model": [_("Choose the shipped or the adapted model.")]})
    adapted = adapted_model(actor.workspace.pk)
    if model == "adapted" and adapted is None:
        raise ValidationError({"model": [_("This workspace has no adapted model yet.")]})
    settings = analysis_settings_get(workspace=actor.workspace)
    settings.sentiment_model = model
    settings.save(update_fields=["sentiment_model"])
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="analysis.model",
        data={"sentiment": model, "adapted": adapted.version if adapted else None},
    )
    return settings


def analysis_reanalyze(*, actor: Membership) -> int:
    """Queue the workspace's records for analysis again (after a model or taxonomy change)."""
    require(actor, Action.MANAGE_SETTINGS)
    count = queue_requeue(workspace=actor.workspace)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="analysis.reanalyze",
        data={"records": count},
    )
    return count


def enrichment_forget(*, feedback_ids: Sequence[int]) -> int:
    """Delete what analysis derived from these records' text (labels, spans, redacted text,
    vectors): they were deleted and purged. Returns how many rows went."""
    deleted, _by_model = Enrichment.objects.filter(feedback_id__in=feedback_ids).delete()
    return deleted


def enrichments_forget_purged(events: Sequence[Change]) -> None:
    """The change-log handler for ``feedback.purged``: forget what analysis derived from the
    purged records. Idempotent: forgetting twice deletes nothing more."""
    enrichment_forget(feedback_ids=[e.subject_id for e in events])


def _masked_spans(found: Any) -> Any:
    """``found`` (evidence lists and the dicts holding them) with every quoted text masked."""
    if isinstance(found, list):
        return [_masked_spans(item) for item in found]
    if isinstance(found, dict):
        return {k: mask_text(v) if k == "text" and isinstance(v, str) else _masked_spans(v)
                for k, v in found.items()}  # fmt: skip
    return found


def enrichments_anonymise(events: Sequence[Change]) -> None:
    """The change-log handler for ``feedback.anonymised``: mask the personal data analysis
    quoted from those records (evidence spans, the redacted copy) and drop the PII spans;
    labels, topics and vectors stay, so the metrics keep them. Idempotent."""
    ids = [e.subject_id for e in events]
    for enrichment in Enrichment.objects.filter(feedback_id__in=ids):
        enrichment.evidence = _masked_spans(enrichment.evidence)
        enrichment.types = _masked_spans(enrichment.types)
        enrichment.redacted_text = mask_text(enrichment.redacted_text)
        enrichment.pii = []
        enrichment.save(update_fields=["evidence", "types", "redacted_text", "pii"])
