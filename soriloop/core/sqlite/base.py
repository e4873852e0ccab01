"""Django's SQLite backend with one writer queue per database file, shared by every thread
and process that opens it.

SQLite lets one connection write at a time; a writer that finds the lock taken sleeps in
SQLite's busy handler, in steps growing from 1 ms to 100 ms, and tries again. Under a burst
of short transactions (a POST is one of a few milliseconds) those sleeps, not the work, set
the pace: waiters sleep past the moment the lock was freed and the queue only grows. Here
each transaction (``BEGIN IMMEDIATE``, which every ``atomic`` block starts with) first takes
an exclusive ``flock`` on ``<database>.writer``; the kernel wakes the next waiter the moment
the holder commits or rolls back, and releases the lock of a process that died. Statements
outside a transaction still meet SQLite's own lock, briefly, as before.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None
        self._queue_held = False

    def _queue_enter(self) -> None:
        # The lock file is opened for the one transaction and closed at its end: a
        # connection that is never closed (a thread's, say) then holds no descriptor, and the
        # file follows the database's current name (the test runner renames it).
        if self._queue_held or self.is_in_memory_db():
            return
        name = str(self.settings_dict["NAME"])
        fd = os.open(f"{name}.writer", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL until it is ours
        except BaseException:
            os.close(fd)
            raise
        self._queue_fd = fd
        self._queue_held = True

    def _queue_leave(self) -> None:
        if self._queue_held and self._queue_fd is not None:
            fd, self._queue_fd, self._queue_held = self._queue_fd, None, False
            os.close(fd)  # closing the descriptor releases the lock

    def _start_transaction_under_autocommit(self) -> None:
        self._queue_enter()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._queue_leave()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._queue_leave()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._queue_leave()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._queue_leave()
