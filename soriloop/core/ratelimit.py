"""Rate limits shared by every process: fixed windows from the ``limits`` library, counted in
Redis when ``REDIS_URL`` is set, else in the database (the ``RateCounter`` table)."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from soriloop.core.models import RateCounter

logger = logging.getLogger(__name__)

_TABLE = RateCounter._meta.db_table
# A live window counts on; an ended one starts again from this hit.
_UPSERT = f"""
INSERT INTO {_TABLE} (key, count, expires_at) VALUES (%s, %s, %s)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN {_TABLE}.expires_at > %s
        THEN {_TABLE}.count + excluded.count ELSE excluded.count END,
    expires_at = CASE WHEN {_TABLE}.expires_at > %s
        THEN {_TABLE}.expires_at ELSE excluded.expires_at END
RETURNING count
"""  # noqa: S608 (the table name is ours, every value a parameter)


class DatabaseStorage(Storage):
    """A ``limits`` storage on the database, so that web processes without Redis share counts.

    Each ``incr`` is one upsert statement, atomic on SQLite and PostgreSQL alike (plain SQL:
    the ORM's conditional updates cost 1.9 ms a hit on SQLite, this statement 0.2 ms)."""

    STORAGE_SCHEME = ["soriloop-db"]

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return DatabaseError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [key, amount, now + expiry, now, now])
            row = cursor.fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        found = (
            RateCounter.objects.filter(key=key, expires_at__gt=time.time())
            .values_list("count", flat=True)
            .first()
        )
        return int(found or 0)

    def get_expiry(self, key: str) -> float:
        found = RateCounter.objects.filter(key=key).values_list("expires_at", flat=True).first()
        return max(float(found or 0), time.time())

    def check(self) -> bool:
        RateCounter.objects.exists()
        return True

    def reset(self) -> int | None:
        deleted, _rows = RateCounter.objects.all().delete()
        return deleted

    def clear(self, key: str) -> None:
        RateCounter.objects.filter(key=key).delete()


def storage_for(redis_url: str, *, prefix: str = "soriloop-rl") -> Storage:
    """Redis when a URL is given, else the database."""
    if redis_url:
        return RedisStorage(redis_url, key_prefix=prefix)
    return DatabaseStorage()


class RateLimits:
    """Fixed windows over one storage; a test can build two over the same store."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = FixedWindowRateLimiter(storage)
        # Redis down: let requests through (and say so) rather than fail them all. A database
        # error is left to the request, whose transaction it has broken.
        self.fail_open = () if isinstance(storage, DatabaseStorage) else storage.base_exceptions

    def hit(self, *, scope: str, ident: str, limit: int, window: int = 60) -> int:
        """Count one hit; return 0 when allowed, else the whole seconds until the window ends."""
        item = RateLimitItemPerSecond(limit, window)
        if len(ident) > 80:  # keys stay short whatever a client sends
            ident = hashlib.sha256(ident.encode()).hexdigest()
        try:
            if self.limiter.hit(item, scope, ident):
                return 0
            reset_at = self.limiter.get_window_stats(item, scope, ident).reset_time
        except self.fail_open:
            logger.warning(
                "rate limit %s not counted: its store is unreachable", scope, exc_info=True
            )
            return 0
        return max(1, math.ceil(reset_at - time.time()))

    def remaining(self, *, scope: str, ident: str, limit: int, window: int = 60) -> int:
        """How many hits the current window still allows, counting none (a read)."""
        item = RateLimitItemPerSecond(limit, window)
        if len(ident) > 80:
            ident = hashlib.sha256(ident.encode()).hexdigest()
        try:
            return max(0, self.limiter.get_window_stats(item, scope, ident).remaining)
        except self.fail_open:
            return limit


@cache
def _default() -> RateLimits:
    return RateLimits(storage_for(settings.REDIS_URL))


def rate_limit_hit(*, scope: str, ident: str, limit: int, window: int = 60) -> int:
    """Count one hit in the shared store; 0 when allowed, else the seconds to wait."""
    return _default().hit(scope=scope, ident=ident, limit=limit, window=window)


def rate_limit_remaining(*, scope: str, ident: str, limit: int, window: int = 60) -> int:
    """How many hits the shared store's current window still allows (counts nothing)."""
    return _default().remaining(scope=scope, ident=ident, limit=limit, window=window)


def rate_counters_prune() -> int:
    """Delete windows that ended a while ago (a worker maintenance hook); returns how many."""
    deleted, _rows = RateCounter.objects.filter(expires_at__lt=time.time() - 3600).delete()
    return deleted
