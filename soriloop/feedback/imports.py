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
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from soriloop.accounts.models import Membership, User, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.core.fields import FieldErrors
from soriloop.core.heartbeat import current_worker_id, live_worker_ids
from soriloop.feedback.models import SCORE_RANGES, Channel, ImportJob, ImportState
from soriloop.feedback.readers import RowReader, UnreadableFile, file_format, sample
from soriloop.feedback.services import feedback_ingest
from soriloop.feedback.validation import FeedbackInput, InvalidFeedback, parse_feedback

logger = logging.getLogger(__name__)

BATCH = 2000
SCALE_CONFIRMED_KEY = "score_scale_confirmed"  # in an imported scored record's metadata
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
    """A score column: its kind, and for stars the scale it is written on (5 or 10...).

    ``confirmed`` is True only when a person chose or confirmed the scale (on the mapping
    page, or in ``--map``); a guessed scale stays False, and the records say so.
    """

    column: str
    kind: str = "stars"
    scale: int = 5
    confirmed: bool = False

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
    lowered = _normal(column)
    for kind in ("nps", "csat", "ces"):
        if kind in lowered:
            return ScoreSpec(column=column, kind=kind, scale=SCORE_RANGES[kind][1])
    return ScoreSpec(column=column, kind="stars", scale=score_check(_numbers(column, rows)).scale)


def _numbers(column: str, rows: Iterable[Mapping[str, Any]]) -> Counter[float]:
    found: Counter[float] = Counter()
    for row in rows:
        raw = row.get(column)
        if raw is None or isinstance(raw, bool):
            continue
        try:
            value = float(str(raw).strip().replace(",", "."))
        except ValueError:
            continue
        if math.isfinite(value):
            found[value] += 1
    return found


STAR_SCALES = {5: (1, 5), 10: (0, 10), 100: (0, 100)}
IN_RANGE_SHARE = 0.99  # a scale holding at least this share of the values is the scale
MIN_SURE_VALUES = 20


@dataclass(frozen=True)
class ScoreCheck:
    """What a whole score column says about its scale: the scale that holds (nearly) every
    value, whether that is sure, and how many values fall outside it."""

    scale: int
    low: int
    high: int
    values: int
    out_of_range: int
    sure: bool
    lines: tuple[int, ...] = ()  # the first lines holding a value out of range, when known

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"lines": list(self.lines)}


def score_check(values: Counter[float], kind: str = "stars") -> ScoreCheck:
    """The smallest star scale that holds 99% of the values; one outlier does not move it.

    Sure only when every value fits, there are enough of them, and (past 5) some use the
    upper part of the scale. Fixed kinds (NPS, CSAT, CES) only count what is out of range.
    """
    total = sum(values.values())

    def inside(low: float, high: float) -> int:
        return sum(n for v, n in values.items() if low <= v <= high)

    if kind != "stars":
        low, high = SCORE_RANGES[kind]
        held = inside(low, high)
        return ScoreCheck(high, low, high, total, total - held, held == total)
    scale = 100
    for candidate, (low, high) in STAR_SCALES.items():
        if total and inside(low, high) >= IN_RANGE_SHARE * total:
            scale = candidate
            break
    low, high = STAR_SCALES[scale]
    held = inside(low, high)
    sure = held == total and total >= MIN_SURE_VALUES
    return ScoreCheck(scale, low, high, total, total - held, sure)


SHOWN_OUT_OF_RANGE = 10
_LINES_KEPT = 200  # distinct values whose first lines are remembered, to name them later


def score_column_check(path: Path, fmt: str, spec: ScoreSpec) -> ScoreCheck:
    """Read the whole score column (up to ``IMPORT_MAX_ROWS`` rows) to check its scale;
    name the first lines whose value falls outside it."""
    found: dict[float, list[int]] = {}

    def values() -> Iterator[Mapping[str, Any]]:
        rows = (row for row in RowReader(path, fmt) if row.values)
        for row in islice(rows, settings.IMPORT_MAX_ROWS):
            value = next(iter(_numbers(spec.column, [row.values])), None)
            if value is not None and (value in found or len(found) < _LINES_KEPT):
                lines = found.setdefault(value, [])
                if len(lines) < SHOWN_OUT_OF_RANGE:
                    lines.append(row.line)
            yield row.values

    check = score_check(_numbers(spec.column, values()), kind=spec.kind)
    outside = sorted(
        line for v, lines in found.items() if not check.low <= v <= check.high for line in lines
    )
    return dataclasses.replace(check, lines=tuple(outside[:SHOWN_OUT_OF_RANGE]))


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
            named = ":" in column  # a scale a person wrote is confirmed; the default is not
            name, _sep, how = column.rpartition(":") if named else (column, "", "5")
            if how in SCORE_RANGES:
                score = ScoreSpec(
                    column=name, kind=how, scale=SCORE_RANGES[how][1], confirmed=named
                )
            elif how.isdigit() and int(how) > 1:
                score = ScoreSpec(column=name, kind="stars", scale=int(how), confirmed=named)
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
    scored = False
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
            scored = True
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
    if scored:
        # Read by adaptation: star-derived labels only come from a scale a person confirmed.
        metadata[SCALE_CONFIRMED_KEY] = mapping.score is not None and mapping.score.confirmed
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
    check_score: bool = True,
) -> ImportJob:
    """Store an uploaded file and propose a mapping, its score scale checked on the whole
    column (one more pass over the file, skipped with ``check_score=False`` when the caller
    names the scale); raise ``UnreadableFile`` (and keep nothing) if it is too large or no
    readable file."""
    fmt = file_format(file_name)
    path = import_dir() / f"{uuid.uuid4().hex}.{fmt}"
    try:
        _store_upload(stream, path)
        columns, rows = sample(path, fmt)
        mapping = mapping_detect(columns, [r.values for r in rows])
        check = (
            score_column_check(path, fmt, mapping.score) if mapping.score and check_score else None
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ImportJob.objects.create(
        workspace=workspace,
        created_by=created_by,
        file_name=Path(file_name).name[:255],
        file_path=str(path),
        file_format=fmt,
        file_size=path.stat().st_size,
        source=(source or Path(file_name).name)[:120],
        columns=columns,
        mapping=mapping.as_json() | ({"score_check": check.as_json()} if check else {}),
    )


def _store_upload(stream: IO[bytes] | Iterable[bytes], path: Path) -> None:
    limit = settings.IMPORT_MAX_BYTES
    chunks: Iterable[bytes] = (
        iter(partial(cast(IO[bytes], stream).read, 1024 * 1024), b"")
        if isinstance(stream, io.IOBase)
        else stream
    )
    written = 0
    with open(path, "wb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                raise UnreadableFile(
                    f"the file is larger than {limit / 1024 / 1024:,.0f} MB "
                    "(IMPORT_MAX_BYTES): split it, or ask an admin to raise the limit"
                )
            out.write(chunk)


def score_check_of(job: ImportJob) -> ScoreCheck | None:
    """The scale check of the file's guessed score column, if it had one."""
    data = job.mapping.get("score_check")
    return ScoreCheck(**data) if data else None


def import_start(
    *, actor: Membership | None, job: ImportJob, mapping: Mapping_, source: str = ""
) -> ImportJob:
    """Confirm the mapping and queue the job for the worker."""
    if actor is not None:
        require(actor, Action.WRITE_FEEDBACK)
    mapping_check(mapping, job.columns)
    mapping = _scale_check(job, mapping)
    with transaction.atomic():
        check = job.mapping.get("score_check")
        job.mapping = mapping.as_json() | ({"score_check": check} if check else {})
        job.source = (source or job.source)[:120]
        job.state = ImportState.QUEUED
        job.save(update_fields=["mapping", "source", "state"])
        feedback_import_run.enqueue(job_id=job.pk)
    if actor is not None:
        audit_record(
            workspace=job.workspace, actor=actor.user, action="import.started", target=job.file_name
        )
    return job


def _scale_check(job: ImportJob, mapping: Mapping_) -> Mapping_:
    """The mapping, its scale confirmed when the person chose another than the guess; asks
    (``BadMapping``) for a confirmation when the column's values do not settle the scale."""
    score = mapping.score
    if score is None or score.confirmed:
        return mapping
    guessed = Mapping_.from_json(job.mapping).score
    if guessed is not None and guessed.column == score.column:
        if (guessed.kind, guessed.scale) != (score.kind, score.scale):
            return dataclasses.replace(mapping, score=dataclasses.replace(score, confirmed=True))
        check = score_check_of(job)
        if check is not None and check.sure:
            return mapping
    raise BadMapping(
        {"score_confirmed": [gettext("Confirm the scale: the values do not settle it.")]}
    )


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
    if job.state in (ImportState.DONE, ImportState.FAILED):
        # Only a finished job lets its file go: a crashed one resumes from it.
        Path(job.file_path).unlink(missing_ok=True)
    return job


def _run(job: ImportJob, on_progress: Callable[[ImportJob, float], None] | None) -> None:
    mapping = Mapping_.from_json(job.mapping)
    workspace = job.workspace
    tz, now = ZoneInfo(workspace.timezone), timezone.now()
    reader = RowReader(Path(job.file_path), job.file_format)
    done = job.rows_total  # rows of earlier attempts, already committed
    limit = settings.IMPORT_MAX_ROWS
    seen = 0
    batch: list[tuple[int, FeedbackInput]] = []
    failures: list[dict[str, Any]] = []
    repeats = _Repeats(dated="received_at" in mapping.columns)
    rows = iter(reader)
    for row in rows:
        seen += 1
        if seen > limit:
            left = 1 + sum(1 for _ in rows)
            reader.stopped = (
                f"the file has more than {limit:,} rows (IMPORT_MAX_ROWS): "
                f"the first {limit:,} were read, {left:,} rows not read"
            )
            break
        # Rows of earlier attempts are parsed again only to count repeated contents.
        item = _item(row, mapping, job, tz, now, failures if seen > done else [], repeats)
        if seen <= done:
            continue
        if item is not None:
            batch.append((row.line, item))
        if len(batch) + len(failures) >= BATCH:
            _commit(job, workspace, batch, failures, reader.progress)
            batch, failures = [], []
            if on_progress:
                job.refresh_from_db()
                on_progress(job, reader.progress)
    _commit(job, workspace, batch, failures, 1.0, finished=True, stopped=reader.stopped)
    job.refresh_from_db()
    if on_progress:
        on_progress(job, 1.0)


class _Repeats:
    """Keys rows without an id by their content (text, score, date, customer) and how many
    times that content came before in the file: a row added anywhere shifts nothing, and a
    true repeat within one file is kept as often as it occurs."""

    def __init__(self, *, dated: bool) -> None:
        self.dated = dated  # without a date column every row is dated "now": not content
        self.counts: Counter[int] = Counter()

    def hint(self, item: FeedbackInput) -> str:
        customer = item.customer
        parts = (
            item.text,
            f"{item.score}:{item.score_kind}" if item.score is not None else "",
            item.received_at.isoformat() if self.dated else "",
            *(
                (customer.external_id, customer.email, customer.phone, customer.name)
                if customer
                else ()
            ),
        )
        digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()
        key = int.from_bytes(digest[:8], "big")  # an int key keeps a million rows small
        occurrence = self.counts[key]
        self.counts[key] += 1
        return f"c{digest[:16].hex()}.{occurrence}"


def _item(
    row: Any,
    mapping: Mapping_,
    job: ImportJob,
    tz: ZoneInfo,
    now: dt.datetime,
    failures: list[dict[str, Any]],
    repeats: _Repeats,
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
    return dataclasses.replace(item, dedup_hint=repeats.hint(item))


def _commit(
    job: ImportJob,
    workspace: Workspace,
    batch: list[tuple[int, FeedbackInput]],
    failures: list[dict[str, Any]],
    progress: float,
    finished: bool = False,
    stopped: str = "",
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
            if stopped:
                updates["last_error"] = stopped
        ImportJob.objects.filter(id=job.pk).update(**updates)


def import_jobs_recover(*, live_workers: set[str]) -> list[int]:
    """Queue again the running jobs whose worker is gone; returns their ids."""
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


UNSTARTED_KEPT = dt.timedelta(days=1)


def import_uploads_expire(*, now: dt.datetime | None = None) -> list[int]:
    """Delete the files of uploads whose import was never started within a day, and mark
    those jobs failed (saying why); returns their ids."""
    cutoff = (now or timezone.now()) - UNSTARTED_KEPT
    stale = ImportJob.objects.filter(state=ImportState.MAPPING, created_at__lt=cutoff)
    expired: list[int] = []
    for job_id, file_path in stale.values_list("id", "file_path"):
        moved = ImportJob.objects.filter(id=job_id, state=ImportState.MAPPING).update(
            state=ImportState.FAILED,
            last_error="never started: the uploaded file was deleted after a day",
            finished_at=timezone.now(),
        )
        if moved:
            Path(file_path).unlink(missing_ok=True)
            expired.append(job_id)
    return expired


def imports_recover() -> list[int]:
    """Maintenance hook: requeue imports whose worker stopped beating; let go of the files
    of uploads nobody started."""
    import_uploads_expire()
    return import_jobs_recover(live_workers=live_worker_ids())


@task()
def feedback_import_run(job_id: int) -> str:
    """Run (or resume) a file import; returns the counts (a background task)."""
    job = import_run(job_id=job_id, worker_id=current_worker_id())
    if job is None:
        return "not runnable"
    return f"{job.state}: {job.rows_created} created, {job.rows_duplicate} duplicate, {job.rows_failed} failed"
