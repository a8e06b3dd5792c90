"""Extraction workers: the parse step in child processes, one page at a time, under a time and a memory limit.

A hostile page (a span bomb, a zip bomb, a pattern that backtracks) must not stall the crawl or take the
machine's memory: the parent waits for each page at most `time_limit` seconds and watches the worker's
resident memory; a worker over either limit is killed and replaced, and the page's record says which limit
it hit. A worker ignores SIGINT (Ctrl-C is the parent's to handle: it finishes or stops the batch and then
closes the pool, so no BrokenProcessPool tracebacks) and exits on its own when its parent is gone, however
the parent ended (kill -9 included), taking its own children (LibreOffice, OCR) with it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time

from pipelines.models import Record, error_record

TIME_LIMIT_S = float(os.environ.get("NIANBAO_PAGE_TIME_LIMIT", 60))
MEMORY_LIMIT_MB = int(os.environ.get("NIANBAO_PAGE_MEMORY_MB", 1536))
POLL_S = 0.05
# `registry_hosts` goes to a worker once, then this word in its place while it is the same object: a national
# registry is tens of thousands of hosts (~0.7 MB pickled, ~5 ms to pickle and ~7 ms to unpickle at 30,000),
# too much to copy with every page
SAME_HOSTS = "same registry_hosts as the previous page"


def parse_in_worker(data: bytes, kwargs: dict) -> Record:
    """The record, with the store's search-index share worked out here, off the writer's core."""
    from pipelines.ingest import parse
    from pipelines.writers import prepare_for_store

    return prepare_for_store(parse(data, **kwargs))


# ── the child ───────────────────────────────────────────────────────────────────────────────────

def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            out += kids
            todo += kids
    return out


def _kill_tree(pid: int, include_self: bool = True) -> None:
    for p in reversed(_descendants(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    if include_self:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _watch_parent(parent: int) -> None:
    """Exit as soon as the parent is gone (re-parented to init or a subreaper)."""
    while True:
        if os.getppid() != parent:
            _kill_tree(os.getpid(), include_self=False)
            os._exit(0)
        time.sleep(0.5)


def _serve(conn, parent: int, memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # a backstop: the parent's RSS watch acts first; this stops a spike faster than it can look
        import resource

        limit = max(memory_mb * 2, 2048) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    hosts = frozenset()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        data, kwargs = task
        if "registry_hosts" in kwargs:
            if kwargs["registry_hosts"] == SAME_HOSTS:
                kwargs["registry_hosts"] = hosts
            else:
                hosts = kwargs["registry_hosts"]
        try:
            result = parse_in_worker(data, kwargs)
        except MemoryError:
            result = error_record(f"memory limit: parsing needed more than {max(memory_mb * 2, 2048)} MB")
        except BaseException as exc:  # noqa: BLE001 - a page's failure is that page's outcome
            result = error_record(f"cannot parse: {type(exc).__name__}: {exc}")
        try:
            conn.send(result)
        except Exception as exc:  # noqa: BLE001 - e.g. a record that does not pickle
            conn.send(error_record(f"cannot return the record: {type(exc).__name__}: {exc}"))


# ── the parent ──────────────────────────────────────────────────────────────────────────────────

def _rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total / (1024 * 1024)


class _Worker:
    def __init__(self, memory_mb: int):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, os.getpid(), memory_mb), daemon=True,
                                   name="nianbao-extract")
        self.process.start()
        child.close()
        self.hosts_sent = None   # the registry_hosts object this worker holds (kept alive: compared by identity)

    def task(self, data: bytes, kwargs: dict) -> tuple[bytes, dict]:
        hosts = kwargs.get("registry_hosts")
        if hosts is not None and hosts is self.hosts_sent:
            return data, {**kwargs, "registry_hosts": SAME_HOSTS}
        self.hosts_sent = hosts
        return data, kwargs

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.kill()
        self.conn.close()

    def kill(self) -> None:
        if self.process.pid:
            _kill_tree(self.process.pid)
        self.process.join(5)


class ParsePool:
    """`parse(data, **kwargs)` → a record, in a worker process; thread-safe (one page per worker at a time)."""

    def __init__(self, workers: int = 1, time_limit: float = TIME_LIMIT_S, memory_mb: int = MEMORY_LIMIT_MB):
        self.time_limit = time_limit
        self.memory_mb = memory_mb
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.all: list[_Worker] = []
        self.lock = threading.Lock()
        self.closed = False
        self.replaced = 0
        for _ in range(max(1, workers)):
            self._add()

    def _add(self) -> None:
        w = _Worker(self.memory_mb)
        with self.lock:
            self.all.append(w)
        self.idle.put(w)

    def _replace(self, w: _Worker) -> None:
        w.kill()
        with self.lock:
            self.all.remove(w)
            self.replaced += 1
        if not self.closed:
            self._add()

    def parse(self, data: bytes, **kwargs) -> Record:
        w = self.idle.get()
        try:
            w.conn.send(w.task(data, kwargs))
        except (OSError, ValueError) as exc:
            self._replace(w)
            return error_record(f"the extraction worker could not take the page: {exc}")
        start = time.monotonic()
        while True:
            try:
                if w.conn.poll(POLL_S):
                    result = w.conn.recv()
                    self.idle.put(w)
                    return result
            except (EOFError, OSError):
                code = w.process.exitcode
                self._replace(w)
                return error_record(f"the extraction worker died on this page (exit code {code}; memory limit "
                                    f"{self.memory_mb} MB?); it was replaced")
            elapsed = time.monotonic() - start
            if elapsed > self.time_limit:
                self._replace(w)
                return error_record(f"time limit: parsing took longer than {self.time_limit:g} s; "
                                    "the extraction worker was stopped and replaced")
            rss = _rss_mb(w.process.pid)
            if rss > self.memory_mb:
                self._replace(w)
                return error_record(f"memory limit: parsing used {rss:.0f} MB (limit {self.memory_mb} MB); "
                                    "the extraction worker was stopped and replaced")

    def close(self) -> None:
        self.closed = True
        with self.lock:
            workers = list(self.all)
        for w in workers:
            w.stop()

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
