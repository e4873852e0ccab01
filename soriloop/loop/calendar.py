"""Business time for SLAs: working periods per weekday in the workspace's time zone, minus
Korean public holidays (the ``holidays`` package) and the workspace's own days off.

Pure: no Django. ``add`` finds the moment a number of business minutes after a start,
``minutes_between`` counts the business minutes between two moments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: dict[str, list[tuple[str, str]]] = {
    d: [("09:00", "12:00"), ("13:00", "18:00")] for d in DAYS[:5]
}
MAX_DAYS_AHEAD = 3 * 366  # a calendar with no working time at all still ends


class CalendarInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


Period = tuple[dt.time, dt.time]


def parse_hours(raw: Mapping[str, Sequence[Sequence[str]]] | None) -> dict[int, list[Period]]:
    """Working periods by weekday (0 = Monday) from ``{"mon": [["09:00", "12:00"]], ...}``;
    empty or None: the default (weekdays 09-12 and 13-18). Raise ``CalendarInvalid``."""
    source = raw or DEFAULT_HOURS
    found: dict[int, list[Period]] = {}
    for name, periods in source.items():
        if name not in DAYS:
            raise CalendarInvalid({f"hours.{name}": [f"must be one of {list(DAYS)}"]})
        day: list[Period] = []
        for pair in periods:
            try:
                start, end = (dt.time.fromisoformat(str(v)) for v in pair)
            except (TypeError, ValueError) as exc:
                raise CalendarInvalid({f"hours.{name}": ["periods are [HH:MM, HH:MM]"]}) from exc
            if start >= end:
                raise CalendarInvalid({f"hours.{name}": ["a period ends after it starts"]})
            day.append((start, end))
        found[DAYS.index(name)] = sorted(day)
    return found


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    hours: Mapping[int, Sequence[Period]]
    days_off: frozenset[dt.date] = frozenset()
    public_holidays: bool = True
    _korean: holidays.HolidayBase = field(
        default_factory=lambda: holidays.country_holidays("KR"), compare=False
    )

    @classmethod
    def of(
        cls,
        *,
        timezone: str,
        hours: Mapping[str, Sequence[Sequence[str]]] | None = None,
        days_off: Iterable[str] = (),
        public_holidays: bool = True,
    ) -> BusinessCalendar:
        off = frozenset(dt.date.fromisoformat(d) for d in days_off)
        return cls(ZoneInfo(timezone), parse_hours(hours), off, public_holidays)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.days_off or not self.hours.get(day.weekday()):
            return False
        return not (self.public_holidays and day in self._korean)

    def _periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (
                dt.datetime.combine(day, start, tzinfo=self.tz),
                dt.datetime.combine(day, end, tzinfo=self.tz),
            )
            for start, end in self.hours[day.weekday()]
        ]

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment ``minutes`` business minutes after ``start`` (UTC)."""
        left = dt.timedelta(minutes=minutes)
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(MAX_DAYS_AHEAD):
            for begin, end in self._periods(day):
                begin = max(begin, local)
                if begin >= end:
                    continue
                if begin + left <= end:
                    return (begin + left).astimezone(dt.UTC)
                left -= end - begin
            day += dt.timedelta(days=1)
        return (local + left).astimezone(dt.UTC)  # no working time: calendar time

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business minutes from ``start`` to ``end`` (0 when end is not after start)."""
        if end <= start:
            return 0.0
        total = dt.timedelta()
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last:
            for begin, finish in self._periods(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > dt.timedelta():
                    total += overlap
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60
