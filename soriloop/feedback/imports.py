"""File imports: propose a column mapping, then stream rows through ``feedback_ingest``.

A job commits each batch of rows together with its counters, so after a crash the job
resumes exactly where its last commit ended: no row is lost and none is stored twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import logging
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from soriloop.accounts.models import Membership, User, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.core.fields import FieldErrors
from soriloop.feedback.models import SCORE_RANGES, Channel, ImportJob, ImportState
from soriloop.feedback.readers import RowReader, UnreadableFile, file_format, sample
from soriloop.feedback.services import feedback_ingest
from soriloop.feedback.validation import FeedbackInput, InvalidFeedback, parse_feedback

logger = logging.getLogger(__name__)

BATCH = 2000
MAX_KEPT_ERRORS = 1000
TARGETS = (
    "text", "score", "received_at", "external_id", "touchpoint", "source",
    "customer_external_id", "customer_email", "customer_phone", "customer_name",
)  # fmt: skip
IMPORT_CHANNELS = (Channel.IMPORT, Channel.REVIEW, Channel.SURVEY, Channel.SOCIAL, Channel.CHAT)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "text": ("text", "review", "content", "comment", "comments", "feedback", "body", "message",
             "document", "verbatim", "내용", "리뷰", "후기", "의견", "본문", "리뷰내용", "댓글"),
    "score": ("score", "rating", "stars", "star", "nps", "csat", "ces", "평점", "별점", "점수"),
    "received_at": ("received_at", "date", "created_at", "created", "time", "timestamp", "datetime",
                    "submitted_at", "작성일", "날짜", "일시", "등록일", "작성일시"),
    "external_id": ("external_id", "id", "review_id", "reviewid", "response_id", "번호", "리뷰id"),
    "touchpoint": ("touchpoint", "stage", "journey", "터치포인트", "단계"),
    "customer_external_id": ("customer_id", "user_id", "userid", "member_id", "회원번호", "고객번호"),
    "customer_email": ("email", "e-mail", "mail", "이메일", "메일"),
    "customer_phone": ("phone", "mobile", "tel", "전화", "전화번호", "연락처", "휴대폰"),
    "customer_name": ("name", "author", "user", "username", "nickname", "작성자", "이름", "닉네임", "고객명"),
}  # fmt: skip


class BadMapping(FieldErrors):
    """Bad column mapping, by field."""


@dataclass(frozen=True)
class ScoreSpec:
    """A score column: its kind, and for stars the scale it is written on (5 or 10...)."""

    column: str
    kind: str = "stars"
    scale: int = 5

    def convert(self, raw: Any) -> float | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        value = float(str(raw).strip().replace(",", "."))
        if self.kind == "stars" and self.scale != 5:
            # Half-star precision on the 1-5 scale: 10-point ratings of 1 and 2 both become 1.
            value = max(1.0, round(value * 5 / self.scale * 2) / 2)
        return value


@dataclass(frozen=True)
class Mapping_:
    """Which column feeds which field; ``metadata`` columns are kept as metadata."""

    columns: dict[str, str]
    score: ScoreSpec | None = None
    metadata: tuple[str, ...] = ()
    channel: str = Channel.IMPORT

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "score": dataclasses.asdict(self.score) if self.score else None,
            "metadata": list(self.metadata),
            "channel": str(self.channel),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Mapping_:
        score = data.get("score")
        return cls(
            columns=dict(data.get("columns") or {}),
            score=ScoreSpec(**score) if score else None,
            metadata=tuple(data.get("metadata") or ()),
            channel=data.get("channel") or Channel.IMPORT,
        )


def _normal(name: str) -> str:
    return "".join(
        ch for ch in name.lower() if ch.isalnum() or ch == "_" or "\uac00" <= ch <= "\ud7a3"
    )


def mapping_detect(columns: list[str], rows: Iterable[Mapping[str, Any]]) -> Mapping_:
    """Propose a mapping from column names (Korean and English) and the sampled values."""
    chosen: dict[str, str] = {}
    normal = {_normal(c): c for c in columns}
    for target, names in SYNONYMS.items():
        for name in names:
            column = normal.get(_normal(name))
            if column and column not in chosen.values():
                chosen[target] = column
                break
    score = None
    if "score" in chosen:
        score = _score_spec(chosen.pop("score"), rows)
    metadata = tuple(
        c for c in columns if c not in chosen.values() and (not score or c != score.column)
    )
    return Mapping_(columns=chosen, score=score, metadata=metadata)


def _score_spec(column: str, rows: Iterable[Mapping[str, Any]]) -> ScoreSpec:
    values = []
    for row in rows:
        try:
            values.append(float(str(row.get(column, "")).strip()))
        except ValueError:
            continue
    lowered = _normal(column)
    for kind in ("nps", "csat", "ces"):
        if kind in lowered:
            return ScoreSpec(column=column, kind=kind, scale=SCORE_RANGES[kind][1])
    top = max(values, default=5)
    return ScoreSpec(column=column, kind="stars", scale=5 if top <= 5 else 10 if top <= 10 else 100)


def mapping_parse(spec: str, columns: list[str] | None = None) -> Mapping_:
    """Parse the CLI form ``text=review,score=stars:5,received_at=date,meta=col1|col2``.

    A score is ``column:KIND`` (nps, csat, ces, stars) or ``column:N`` for stars out of N.
    """
    chosen: dict[str, str] = {}
    score = None
    metadata: tuple[str, ...] = ()
    channel: str = Channel.IMPORT
    errors: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        target, _sep, column = part.partition("=")
        target, column = target.strip(), column.strip()
        if not column:
            errors.setdefault(target or part, []).append("needs a column: target=column")
        elif target == "score":
            name, _sep, how = column.rpartition(":") if ":" in column else (column, "", "5")
            if how in SCORE_RANGES:
                score = ScoreSpec(column=name, kind=how, scale=SCORE_RANGES[how][1])
            elif how.isdigit() and int(how) > 1:
                score = ScoreSpec(column=name, kind="stars", scale=int(how))
            else:
                errors.setdefault("score", []).append(
                    f"unknown scale {how!r}: nps, csat, ces, stars or a number"
                )
        elif target == "meta":
            metadata = tuple(c.strip() for c in column.split("|") if c.strip())
        elif target == "channel":
            channel = column
        elif target in TARGETS:
            chosen[target] = column
        else:
            errors.setdefault(target, []).append(
                f"unknown target; use {', '.join((*TARGETS, 'meta', 'channel'))}"
            )
    mapping = Mapping_(columns=chosen, score=score, metadata=metadata, channel=channel)
    mapping_check(mapping, columns)
    if errors:
        raise BadMapping(errors)
    return mapping


def mapping_check(mapping: Mapping_, columns: list[str] | None) -> None:
    """Raise ``BadMapping`` when no text or score is mapped or a column does not exist."""
    errors: dict[str, list[str]] = {}
    if "text" not in mapping.columns and mapping.score is None:
        errors["text"] = ["map a text column or a score column"]
    if mapping.channel not in IMPORT_CHANNELS:
        errors["channel"] = [f"must be one of {', '.join(IMPORT_CHANNELS)}"]
    if columns is not None:
        used = [
            *mapping.columns.values(),
            *mapping.metadata,
            *([mapping.score.column] if mapping.score else []),
        ]
        for column in used:
            if column not in columns:
                errors.setdefault(column, []).append("is not a column of the file")
    if errors:
        raise BadMapping(errors)


def row_payload(values: Mapping[str, Any], mapping: Mapping_) -> dict[str, Any]:
    """A file row as the ingest door's field names."""

    def get(target: str) -> Any:
        column = mapping.columns.get(target)
        value = values.get(column) if column else None
        return value.strip() if isinstance(value, str) else value

    payload: dict[str, Any] = {"channel": mapping.channel}
    for target in ("text", "received_at", "external_id", "touchpoint", "source"):
        value = get(target)
        if value not in (None, ""):
            payload[target] = value if target in {"text", "received_at"} else str(value)
    if isinstance(payload.get("text"), int | float):
        payload["text"] = str(payload["text"])
    if mapping.score is not None:
        raw = values.get(mapping.score.column)
        try:
            score = mapping.score.convert(raw)
        except ValueError:
            raise InvalidFeedback({"score": [f"{raw!r} is not a number"]}) from None
        if score is not None:
            payload["score"], payload["score_kind"] = score, mapping.score.kind
    customer = {
        k: str(get(f"customer_{k}"))
        for k in ("external_id", "email", "phone", "name")
        if get(f"customer_{k}") not in (None, "")
    }
    if customer:
        payload["customer"] = customer
    metadata = {
        c: _jsonable(values.get(c)) for c in mapping.metadata if values.get(c) not in (None, "")
    }
    if metadata:
        payload["metadata"] = metadata
    return payload


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool) else str(value)


def import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_create(
    *,
    workspace: Workspace,
    file_name: str,
    stream: IO[bytes] | Iterable[bytes],
    created_by: User | None,
    source: str = "",
) -> ImportJob:
    """Store an uploaded file and propose a mapping; raise ``UnreadableFile`` if it is none."""
    fmt = file_format(file_name)
    path = import_dir() / f"{uuid.uuid4().hex}.{fmt}"
    with open(path, "wb") as out:
        if isinstance(stream, io.IOBase):
            shutil.copyfileobj(cast(IO[bytes], stream), out, 1024 * 1024)
        else:
            for chunk in stream:
                out.write(chunk)
    try:
        columns, rows = sample(path, fmt)
    except UnreadableFile:
        path.unlink(missing_ok=True)
        raise
    mapping = mapping_detect(columns, [r.values for r in rows])
    return ImportJob.objects.create(
        workspace=workspace,
        created_by=created_by,
        file_name=Path(file_name).name[:255],
        file_path=str(path),
        file_format=fmt,
        file_size=path.stat().st_size,
        source=(source or Path(file_name).name)[:120],
        columns=columns,
        mapping=mapping.as_json(),
    )


def import_start(
    *, actor: Membership | None, job: ImportJob, mapping: Mapping_, source: str = ""
) -> ImportJob:
    """Confirm the mapping and queue the job for the worker."""
    if actor is not None:
        require(actor, Action.WRITE_FEEDBACK)
    mapping_check(mapping, job.columns)
    from soriloop.feedback.tasks import feedback_import_run

    with transaction.atomic():
        job.mapping = mapping.as_json()
        job.source = (source or job.source)[:120]
        job.state = ImportState.QUEUED
        job.save(update_fields=["mapping", "source", "state"])
        feedback_import_run.enqueue(job_id=job.pk)
    if actor is not None:
        audit_record(
            workspace=job.workspace, actor=actor.user, action="import.started", target=job.file_name
        )
    return job


def _claim(job_id: int, worker_id: str) -> ImportJob | None:
    with transaction.atomic():
        claimed = ImportJob.objects.filter(
            id=job_id, state__in=[ImportState.QUEUED, ImportState.RUNNING]
        ).update(state=ImportState.RUNNING, worker_id=worker_id, started_at=timezone.now())
    return ImportJob.objects.select_related("workspace").get(id=job_id) if claimed else None


def import_run(
    *,
    job_id: int,
    worker_id: str = "",
    on_progress: Callable[[ImportJob, float], None] | None = None,
) -> ImportJob | None:
    """Import the job's file from where it last committed; None when it is not runnable."""
    job = _claim(job_id, worker_id or f"run-{uuid.uuid4().hex[:8]}")
    if job is None:
        return None
    try:
        _run(job, on_progress)
    except UnreadableFile as exc:
        ImportJob.objects.filter(id=job.pk).update(
            state=ImportState.FAILED, last_error=str(exc), finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def _run(job: ImportJob, on_progress: Callable[[ImportJob, float], None] | None) -> None:
    mapping = Mapping_.from_json(job.mapping)
    workspace = job.workspace
    tz, now = ZoneInfo(workspace.timezone), timezone.now()
    reader = RowReader(Path(job.file_path), job.file_format)
    done = job.rows_total  # rows of earlier attempts, already committed
    seen = 0
    batch: list[tuple[int, FeedbackInput]] = []
    failures: list[dict[str, Any]] = []
    for row in reader:
        seen += 1
        if seen <= done:
            continue
        item = _item(row, mapping, job, tz, now, failures)
        if item is not None:
            batch.append((row.line, item))
        if len(batch) + len(failures) >= BATCH:
            _commit(job, workspace, batch, failures, reader.progress)
            batch, failures = [], []
            if on_progress:
                job.refresh_from_db()
                on_progress(job, reader.progress)
    _commit(job, workspace, batch, failures, 1.0, finished=True)
    job.refresh_from_db()
    if on_progress:
        on_progress(job, 1.0)


def _item(
    row: Any,
    mapping: Mapping_,
    job: ImportJob,
    tz: ZoneInfo,
    now: dt.datetime,
    failures: list[dict[str, Any]],
) -> FeedbackInput | None:
    if row.problem:
        failures.append({"line": row.line, "field": "", "reason": row.problem})
        return None
    try:
        payload = row_payload(row.values, mapping)
        payload.setdefault("source", job.source)
        item = parse_feedback(payload, channel=mapping.channel, tz=tz, now=now)
    except InvalidFeedback as exc:
        for field, reasons in exc.fields.items():
            failures.append({"line": row.line, "field": field, "reason": "; ".join(reasons)})
        return None
    if item.external_id:
        return item
    fingerprint = hashlib.sha256(f"{row.line}\x00{item.text}\x00{item.score}".encode()).hexdigest()[
        :32
    ]
    return dataclasses.replace(item, dedup_hint=fingerprint)


def _commit(
    job: ImportJob,
    workspace: Workspace,
    batch: list[tuple[int, FeedbackInput]],
    failures: list[dict[str, Any]],
    progress: float,
    finished: bool = False,
) -> None:
    """Store a batch and advance the job's counters in one transaction."""
    with transaction.atomic():
        results = feedback_ingest(workspace=workspace, items=[item for _line, item in batch])
        created = sum(1 for r in results if r.status == "created")
        failed_rows = len({f["line"] for f in failures})
        updates: dict[str, Any] = {
            "rows_total": F("rows_total") + len(batch) + failed_rows,
            "rows_created": F("rows_created") + created,
            "rows_duplicate": F("rows_duplicate") + len(results) - created,
            "rows_failed": F("rows_failed") + failed_rows,
            "bytes_done": int(progress * job.file_size),
        }
        if failures:
            current = ImportJob.objects.select_for_update().get(id=job.pk)
            room = MAX_KEPT_ERRORS - len(current.errors)
            if room > 0:
                updates["errors"] = current.errors + failures[:room]
        if finished:
            updates.update(
                state=ImportState.DONE, finished_at=timezone.now(), bytes_done=job.file_size
            )
        ImportJob.objects.filter(id=job.pk).update(**updates)


def import_jobs_recover(*, live_workers: set[str]) -> list[int]:
    """Queue again the running jobs whose worker is gone; returns their ids."""
    from soriloop.feedback.tasks import feedback_import_run

    orphans = list(
        ImportJob.objects.filter(state=ImportState.RUNNING)
        .exclude(worker_id__in=live_workers)
        .values_list("id", flat=True)
    )
    for job_id in orphans:
        with transaction.atomic():
            moved = (
                ImportJob.objects.filter(id=job_id, state=ImportState.RUNNING)
                .exclude(worker_id__in=live_workers)
                .update(state=ImportState.QUEUED, worker_id="")
            )
            if moved:
                feedback_import_run.enqueue(job_id=job_id)
                logger.warning("import %s lost its worker; queued again", job_id)
    return orphans


def imports_recover() -> list[int]:
    """Maintenance hook: requeue imports whose worker stopped beating."""
    from soriloop.core.heartbeat import live_worker_ids

    return import_jobs_recover(live_workers=live_worker_ids())
