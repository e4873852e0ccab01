"""Fixed-window rate limits in the cache (shared between processes when REDIS_URL is set)."""

from __future__ import annotations

import time

from django.core.cache import cache


def rate_limit_hit(*, scope: str, ident: str, limit: int, window: int = 60) -> int:
    """Count one hit; return 0 when allowed, else the seconds until the window resets."""
    now = time.time()
    slot = int(now // window)
    key = f"rl:{scope}:{ident}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, int((slot + 1) * window - now) + 1)
