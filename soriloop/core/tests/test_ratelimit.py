"""Rate limits hold across processes: counted in the database, or in Redis when it is set."""

import subprocess
import sys
import uuid

import pytest

from soriloop.conftest import subprocess_env
from soriloop.core.ratelimit import DatabaseStorage, RateLimits, rate_limit_hit, storage_for

HIT_25_TIMES = """
import django
django.setup()
from soriloop.core.ratelimit import rate_limit_hit
print(sum(rate_limit_hit(scope="widget-ip", ident="10.9.9.9", limit=20) == 0 for _ in range(25)))
"""


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_one_count_per_ip() -> None:
    here = sum(
        rate_limit_hit(scope="widget-ip", ident="10.9.9.9", limit=20) == 0 for _ in range(20)
    )
    other = subprocess.run(
        [sys.executable, "-c", HIT_25_TIMES],
        env=subprocess_env(DJANGO_SETTINGS_MODULE="soriloop.settings", REDIS_URL=""),
        capture_output=True,
        text=True,
        check=True,
    )
    assert here == 20
    assert int(other.stdout.strip()) == 0, other.stderr


def test_two_limiters_over_one_database_accept_the_limit_and_no_more(db: None) -> None:
    first, second = RateLimits(DatabaseStorage()), RateLimits(DatabaseStorage())
    answers = [(first, second)[n % 2].hit(scope="s", ident="ip", limit=20) for n in range(45)]
    assert answers.count(0) == 20
    assert all(1 <= wait <= 60 for wait in answers[20:])


def test_the_window_ends_and_counting_starts_again(db: None, time_machine) -> None:
    time_machine.move_to("2026-01-01 10:00:00+00:00", tick=False)
    limits = RateLimits(DatabaseStorage())
    assert limits.hit(scope="s", ident="ip", limit=1, window=60) == 0
    assert limits.hit(scope="s", ident="ip", limit=1, window=60) == 60
    time_machine.move_to("2026-01-01 10:00:45+00:00", tick=False)
    assert limits.hit(scope="s", ident="ip", limit=1, window=60) == 15
    time_machine.move_to("2026-01-01 10:01:01+00:00", tick=False)
    assert limits.hit(scope="s", ident="ip", limit=1, window=60) == 0


def test_a_long_identifier_is_counted_under_a_short_key(db: None) -> None:
    limits = RateLimits(DatabaseStorage())
    ident = "x" * 5000
    assert limits.hit(scope="s", ident=ident, limit=1) == 0
    assert limits.hit(scope="s", ident=ident, limit=1) > 0


def _redis_or_skip() -> str:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return url


def test_two_limiters_over_one_redis_accept_the_limit_and_no_more() -> None:
    url, prefix = _redis_or_skip(), f"soriloop-test-{uuid.uuid4().hex}"
    first, second = (
        RateLimits(storage_for(url, prefix=prefix)),
        RateLimits(storage_for(url, prefix=prefix)),
    )
    try:
        answers = [(first, second)[n % 2].hit(scope="s", ident="ip", limit=20) for n in range(45)]
    finally:
        first.limiter.storage.reset()
    assert answers.count(0) == 20
    assert all(1 <= wait <= 61 for wait in answers[20:])


def test_an_unreachable_redis_lets_requests_through_and_says_so(caplog) -> None:
    pytest.importorskip("redis")
    limits = RateLimits(storage_for("redis://127.0.0.1:1/0", prefix="nowhere"))
    assert [limits.hit(scope="s", ident="ip", limit=1) for _ in range(3)] == [0, 0, 0]
    assert "not counted" in caplog.text
