"""Metric math over summed rollup measures: pure functions, defined in docs/metrics.md."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from soriloop.insights.models import MEASURES

Z95 = 1.959964


class Totals(dict[str, float]):
    """Summed measures (every name of ``MEASURES``, zero when absent)."""

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> Totals:
        totals = cls.zero()
        for row in rows:
            totals.add(row)
        return totals

    @classmethod
    def zero(cls) -> Totals:
        return cls(dict.fromkeys(MEASURES, 0))

    def add(self, row: Mapping[str, Any]) -> None:
        for name in MEASURES:
            self[name] += row.get(name) or 0


@dataclass(frozen=True)
class Metric:
    """A value with the count behind it and, where it has one, a 95% confidence interval."""

    name: str
    value: float | None
    n: int
    se: float | None = None  # standard error, same unit as the value
    extra: tuple[tuple[str, float | None], ...] = ()

    @property
    def low(self) -> float | None:
        return None if self.value is None or self.se is None else self.value - Z95 * self.se

    @property
    def high(self) -> float | None:
        return None if self.value is None or self.se is None else self.value + Z95 * self.se

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "value": _round(self.value),
            "n": self.n,
            "ci95": [_round(self.low), _round(self.high)] if self.se is not None else None,
        }
        data.update({k: _round(v) for k, v in self.extra})
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _net(plus: float, minus: float, n: float, name: str) -> Metric:
    """100 x (share of plus - share of minus), with the standard error of a difference of
    shares within one sample: var = p + m - (p - m)^2 per response."""
    if n <= 0:
        return Metric(name, None, 0)
    p, m = plus / n, minus / n
    variance = max(p + m - (p - m) ** 2, 0.0)
    return Metric(name, 100 * (p - m), int(n), 100 * math.sqrt(variance / n))


def nps(t: Totals) -> Metric:
    """% promoters (9-10) - % detractors (0-6) of NPS answers."""
    metric = _net(t["nps_promoters"], t["nps_detractors"], t["nps_n"], "nps")
    n = t["nps_n"]
    passives = n - t["nps_promoters"] - t["nps_detractors"]
    return Metric(
        metric.name,
        metric.value,
        metric.n,
        metric.se,
        (
            ("promoters", _pct(t["nps_promoters"], n)),
            ("passives", _pct(passives, n)),
            ("detractors", _pct(t["nps_detractors"], n)),
        ),
    )


def _pct(part: float, n: float) -> float | None:
    return 100 * part / n if n else None


def _share(
    part: float, n: float, name: str, extra: tuple[tuple[str, float | None], ...] = ()
) -> Metric:
    if n <= 0:
        return Metric(name, None, 0, None, extra)
    p = part / n
    return Metric(name, 100 * p, int(n), 100 * math.sqrt(p * (1 - p) / n), extra)


def csat(t: Totals) -> Metric:
    """% of CSAT answers that are 4 or 5 (of 1-5), with the mean answer."""
    n = t["csat_n"]
    return _share(t["csat_satisfied"], n, "csat", (("mean", t["csat_sum"] / n if n else None),))


def ces(t: Totals) -> Metric:
    """Mean CES answer (1-7) with its standard error, and % "easy" (5-7)."""
    n = t["ces_n"]
    if n <= 0:
        return Metric("ces", None, 0, None, (("easy", None),))
    mean = t["ces_sum"] / n
    se = None
    if n > 1:
        variance = max((t["ces_sq"] - n * mean * mean) / (n - 1), 0.0)
        se = math.sqrt(variance / n)
    return Metric("ces", mean, int(n), se, (("easy", 100 * t["ces_easy"] / n),))


def net_sentiment(t: Totals) -> Metric:
    """% positive - % negative of analysed records."""
    analysed = t["positive"] + t["neutral"] + t["negative"]
    metric = _net(t["positive"], t["negative"], analysed, "net_sentiment")
    return Metric(
        metric.name,
        metric.value,
        metric.n,
        metric.se,
        tuple((label, _pct(t[label], analysed)) for label in ("positive", "neutral", "negative")),
    )


def volume(t: Totals) -> Metric:
    """Records; counts vary like a Poisson variable, so the standard error is sqrt(n)."""
    n = int(t["n"])
    return Metric("volume", float(n), n, math.sqrt(n), (("with_text", t["texts"]),))


def stars(t: Totals) -> Metric:
    n = t["stars_n"]
    return Metric("stars", t["stars_sum"] / n if n else None, int(n))


METRICS = {
    "nps": nps,
    "csat": csat,
    "ces": ces,
    "net_sentiment": net_sentiment,
    "volume": volume,
    "stars": stars,
}


@dataclass(frozen=True)
class Change:
    """A metric now against the previous period of equal length."""

    delta: float | None
    direction: str  # "up" | "down" | "flat" | ""
    significant: bool  # larger than noise: |delta| > 1.96 x the combined standard error

    def as_dict(self) -> dict[str, Any]:
        return {
            "delta": _round(self.delta),
            "direction": self.direction,
            "significant": self.significant,
        }


def change(now: Metric, before: Metric) -> Change:
    if now.value is None or before.value is None:
        return Change(None, "", False)
    delta = now.value - before.value
    direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
    if now.se is None or before.se is None:
        return Change(delta, direction, False)
    spread = math.sqrt(now.se**2 + before.se**2)
    return Change(delta, direction, spread > 0 and abs(delta) > Z95 * spread)


def summary(now: Totals, before: Totals | None = None) -> dict[str, dict[str, Any]]:
    """Every metric of ``now``, each with its change against ``before`` when given."""
    result: dict[str, dict[str, Any]] = {}
    for name, compute in METRICS.items():
        metric = compute(now)
        data = metric.as_dict()
        if before is not None:
            data["change"] = change(metric, compute(before)).as_dict()
        result[name] = data
    # Known only where a survey counts how many were asked (the surveys issue).
    result["response_rate"] = {"value": None, "n": 0, "ci95": None}
    return result
