"""One writer at a time: `nianbao ingest`, `crawl` and `reparse` hold an exclusive lock on the database.

The lock is `flock` on a file beside the database (`DB.lock`, holding the writer's pid and command): the
kernel drops it when the writer ends, however it ends, so a kill -9 never leaves a stale lock. A second
writer waits with a message (or, with `wait=False`, refuses with a clear error) — instead of dying with
`database is locked` halfway through its batch, or switching the journal mode under the first one.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path


class DatabaseBusy(RuntimeError):
    pass


def lock_path(db_path: str | os.PathLike) -> Path:
    return Path(str(db_path) + ".lock")


def holder(db_path) -> str:
    try:
        return lock_path(db_path).read_text().strip() or "another process"
    except OSError:
        return "another process"


def is_locked(db_path) -> bool:
    path = lock_path(db_path)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return False


@contextmanager
def writer_lock(db_path: str | os.PathLike, wait: bool = True, say=None):
    """Hold the database's writer lock for the block."""
    if str(db_path) == ":memory:":
        yield
        return
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = holder(db_path)
            if not wait:
                raise DatabaseBusy(f"{db_path} is being written by {other}; one writer at a time — "
                                   "run again when it has finished") from None
            (say or _stderr)(f"waiting: {db_path} is being written by {other} (one writer at a time) …")
            t0 = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            (say or _stderr)(f"… the other writer finished after {time.monotonic() - t0:.0f} s; going on")
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} ({' '.join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200]})"
                 .encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _stderr(msg: str) -> None:
    print(f"nianbao: {msg}", file=sys.stderr, flush=True)


def ready_to_serve(db_path) -> str | None:
    """Datasette opens the database immutable: it would ignore a write-ahead log or a hot rollback journal
    left by a writer that was killed, and show a half-written state. Before serving, such a leftover is
    settled (committed pages checkpointed in, an unfinished transaction rolled back) by a normal open under
    the writer lock; while a writer is still running, serving is refused. Returns what was done, if anything."""
    import sqlite3

    leftovers = [s for s in ("-wal", "-journal") if Path(str(db_path) + s).exists()]
    if not leftovers:
        return None
    try:
        with writer_lock(db_path, wait=False):
            conn = sqlite3.connect(str(db_path))
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # rolls a hot journal back
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                conn.execute("PRAGMA journal_mode = DELETE").fetchall()
            finally:
                conn.close()
    except DatabaseBusy:
        raise DatabaseBusy(f"{db_path} is being written by {holder(db_path)}: not serving a half-written "
                           "database — serve it when the writer has finished") from None
    return (f"{db_path}: settled the {' and '.join(leftovers)} file left by an interrupted writer "
            "(committed pages kept, an unfinished transaction rolled back)")
