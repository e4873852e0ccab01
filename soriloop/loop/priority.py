"""A case's priority: a transparent score (0-100) from severity (score, sentiment, abuse),
churn risk, customer value, the customer's other open cases and waiting time, always with
its reasons in words (docs/cases.md).

``priority_of`` is pure; ``_churn_risk`` asks the customers app (``customer_churn_risk``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from django.db.models import Sum
from django.utils import timezone

from soriloop.customers.models import Customer, CustomerEvent
from soriloop.customers.risk import customer_churn_risk
from soriloop.feedback.models import Feedback

Level = Literal["urgent", "high", "normal", "low"]
LEVELS: tuple[Level, ...] = ("urgent", "high", "normal", "low")
THRESHOLDS = {"urgent": 70, "high": 45, "normal": 20}
VIP_SEGMENTS = {"vip", "gold", "platinum", "enterprise"}
HIGH_VALUE = Decimal("1000000")  # purchases in the workspace's currency, all time
PURCHASE_TYPES = ("purchase", "order")


@dataclass(frozen=True)
class ChurnRisk:
    score: float  # 0..1
    level: Literal["low", "medium", "high"]
    reasons: list[str]
    model: str


@dataclass(frozen=True)
class Priority:
    score: int
    level: Level
    reasons: list[str]


def level_of(score: int) -> Level:
    for level in ("urgent", "high", "normal"):
        if score >= THRESHOLDS[level]:
            return level
    return "low"


@dataclass(frozen=True)
class Signals:
    """What the score is made of, read from the case's records and customer."""

    nps: float | None = None
    csat: float | None = None
    negative: float | None = None  # confidence of the most confident negative record
    abusive: bool = False
    churn: ChurnRisk | None = None
    vip: str = ""  # the VIP segment's name
    value: Decimal | None = None  # purchases, all time
    other_open_cases: int = 0
    waiting_hours: float = 0.0


def priority_of(signals: Signals) -> Priority:
    """The score and its reasons, most weighty first."""
    parts: list[tuple[int, str]] = []
    s = signals
    if s.nps is not None and s.nps <= 6:
        parts.append((int((7 - s.nps) * 5), f"detractor {s.nps:g}"))
    if s.csat is not None and s.csat <= 2:
        parts.append((25 if s.csat <= 1 else 15, f"CSAT {s.csat:g}"))
    if s.negative is not None:
        parts.append((round(20 * s.negative), f"negative sentiment ({s.negative:.2f})"))
    if s.abusive:
        parts.append((15, "abusive text"))
    if s.churn is not None and s.churn.level != "low":
        why = f": {', '.join(s.churn.reasons)}" if s.churn.reasons else ""
        parts.append((20 if s.churn.level == "high" else 10, f"churn risk {s.churn.level}{why}"))
    if s.vip:
        parts.append((10, f"{s.vip} customer"))
    elif s.value is not None and s.value >= HIGH_VALUE:
        parts.append((10, f"customer value {s.value:,.0f}"))
    if s.other_open_cases:
        parts.append((min(10, 5 * s.other_open_cases), _open_cases(s.other_open_cases)))
    if s.waiting_hours >= 4:
        parts.append((min(15, int(s.waiting_hours / 4)), f"waiting {s.waiting_hours:.0f} h"))
    score = min(100, sum(points for points, _reason in parts))
    reasons = [reason for _points, reason in sorted(parts, key=lambda p: -p[0])]
    return Priority(score, level_of(score), reasons or ["no sign of urgency"])


def _open_cases(n: int) -> str:
    return "1 other open case" if n == 1 else f"{n} other open cases"


# -- reading the signals -------------------------------------------------------------------


def _churn_risk(customer: Customer) -> ChurnRisk:
    """The customer's churn risk from the customers app: the workspace's model when it has
    learnt enough, else its transparent heuristic (docs/customers.md)."""
    risk = customer_churn_risk(customer)
    level = cast(Literal["low", "medium", "high"], risk.level)
    return ChurnRisk(risk.score, level, list(risk.reasons), risk.model)


def _value(customer: Customer) -> Decimal | None:
    total = CustomerEvent.objects.filter(customer=customer, type__in=PURCHASE_TYPES).aggregate(
        total=Sum("amount")
    )["total"]
    return Decimal(total) if total is not None else None


def signals_of(
    *, records: Sequence[Feedback], customer: Customer | None, other_open: int, since: dt.datetime
) -> Signals:
    """The signals of a case's records (the worst of each) and its customer."""
    nps = [r.score for r in records if r.score_kind == "nps" and r.score is not None]
    csat = [r.score for r in records if r.score_kind == "csat" and r.score is not None]
    enrichments: list[Any] = [getattr(r, "enrichment", None) for r in records]
    negative = [
        e.sentiment_confidence for e in enrichments if e and e.sentiment_label == "negative"
    ]
    segment = str((customer.attributes or {}).get("segment", "")) if customer else ""
    return Signals(
        nps=float(min(nps)) if nps else None,
        csat=float(min(csat)) if csat else None,
        negative=max(negative) if negative else None,
        abusive=any(e and e.abusive for e in enrichments),
        churn=_churn_risk(customer) if customer else None,
        vip=segment if segment.lower() in VIP_SEGMENTS else "",
        value=_value(customer) if customer else None,
        other_open_cases=other_open,
        waiting_hours=max(0.0, (timezone.now() - since).total_seconds() / 3600),
    )
