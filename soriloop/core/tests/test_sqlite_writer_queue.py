"""SQLite's writer queue (soriloop/core/sqlite): a transaction waits for the one before it on
a file lock that is handed over at commit, rollback, close or the holder's death."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from soriloop.conftest import subprocess_env
from soriloop.core.models import RateCounter

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the queue is SQLite's"),
]


def queue_taken() -> bool:
    """Whether some connection holds the writer queue (asked on a file of our own)."""
    fd = os.open(f"{connection.settings_dict['NAME']}.writer", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_transaction_holds_the_queue_from_begin_to_its_end() -> None:
    RateCounter.objects.count()
    assert not queue_taken(), "reading outside a transaction takes no place in the queue"
    with transaction.atomic():
        RateCounter.objects.create(key="a", count=1, expires_at=0)
        assert queue_taken()
        with transaction.atomic():  # a savepoint, inside the same place
            assert queue_taken()
        assert queue_taken(), "the outer transaction still holds it"
    assert not queue_taken(), "commit hands it on"
    with transaction.atomic():
        RateCounter.objects.create(key="b", count=1, expires_at=0)
        transaction.set_rollback(True)
    assert not queue_taken(), "rollback hands it on"

    def fails() -> None:
        with transaction.atomic():
            RateCounter.objects.create(key="c", count=1, expires_at=0)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fails()
    assert not queue_taken(), "an error's rollback hands it on"
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["a"]


def in_a_thread(entered: threading.Event, leave: threading.Event) -> threading.Thread:
    """A thread that opens a transaction, says so, and holds it until ``leave``."""

    def run() -> None:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key="thread", count=1, expires_at=0)
                entered.set()
                leave.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_second_writer_waits_for_the_first_and_goes_the_moment_it_ends(ending: str) -> None:
    entered_b, leave_b = threading.Event(), threading.Event()
    with transaction.atomic():
        RateCounter.objects.create(key="main", count=1, expires_at=0)
        b = in_a_thread(entered_b, leave_b)
        assert not entered_b.wait(0.5), "the second writer waits while the first is open"
        assert queue_taken()
        if ending == "rollback":
            transaction.set_rollback(True)
    assert entered_b.wait(10), f"it goes once the first ends ({ending})"
    leave_b.set()
    b.join(10)
    keys = set(RateCounter.objects.values_list("key", flat=True))
    assert keys == ({"main", "thread"} if ending == "commit" else {"thread"})
    assert Path(f"{connection.settings_dict['NAME']}.writer").exists()


def test_closing_a_connection_mid_transaction_hands_the_queue_on() -> None:
    entered, leave = threading.Event(), threading.Event()
    with transaction.atomic():
        RateCounter.objects.create(key="left-open", count=1, expires_at=0)
        other = in_a_thread(entered, leave)
        assert not entered.wait(0.5)
        connection.close()  # what the end of a request that failed half-way does
        assert entered.wait(10), "the next writer goes once the connection is closed"
        assert queue_taken(), "and now holds it"
    leave.set()
    other.join(10)
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["thread"]


def test_a_writer_process_that_dies_holding_the_queue_frees_it() -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        entered, leave = threading.Event(), threading.Event()
        waiter = in_a_thread(entered, leave)
        assert not entered.wait(0.5), "the other process holds the queue"
        assert queue_taken()
        holder.send_signal(signal.SIGKILL)
        assert entered.wait(15), "the kernel frees a dead holder's lock"
        leave.set()
        waiter.join(10)
        assert not queue_taken()
    finally:
        holder.kill()
        holder.wait(10)
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["thread"]


HOLD = """
import django, os, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soriloop.settings")
django.setup()
from django.db import transaction
from soriloop.core.models import RateCounter
with transaction.atomic():
    RateCounter.objects.create(key="dead", count=1, expires_at=0)
    print("holding", flush=True)
    time.sleep(60)
"""
