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
from collections import deque

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
    # records go back from a thread of their own: a record larger than the pipe's buffer waits there for the
    # parent to read it while the next page (already in the pipe) is parsed
    results: queue.Queue = queue.Queue()
    sender = threading.Thread(target=_send_results, args=(conn, results), daemon=True)
    sender.start()
    hosts = frozenset()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            results.put(None)
            sender.join()
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
        results.put(result)


def _send_results(conn, results: queue.Queue) -> None:
    while (result := results.get()) is not None:
        try:
            conn.send(result)
        except (EOFError, OSError):
            return
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
        self.pending: deque[_Task] = deque()   # sent, in pipe order; the first is the page being parsed
        self.sending = threading.Lock()        # one message down the pipe at a time, in `pending` order
        self.dead = False

    def task(self, data: bytes, kwargs: dict) -> tuple[bytes, dict]:
        hosts = kwargs.get("registry_hosts")
        if hosts is not None and hosts is self.hosts_sent:
            return data, {**kwargs, "registry_hosts": SAME_HOSTS}
        self.hosts_sent = hosts
        return data, kwargs

    def stop(self, timeout: float = 5.0) -> None:
        try:
            with self.sending:
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


class _Task:
    """One page sent to a worker. Its thread sleeps until the page is first in the worker's queue (then it
    reads the worker's pipe and watches the limits), until its record came, or until it must go to another
    worker because the one it was queued at died on an earlier page."""

    __slots__ = ("turn", "started", "result", "retry")

    def __init__(self):
        self.turn = threading.Event()
        self.started = 0.0
        self.result: Record | None = None
        self.retry = False


class ParsePool:
    """`parse(data, **kwargs)` → a record, in a worker process; thread-safe.

    Each worker holds up to DEPTH pages: the next page is already in its pipe when it finishes one, so it
    goes on at once instead of waiting for the parent (whose threads share one GIL with the crawl's reactor:
    handing pages over one at a time left the worker idle a third of the time). A page's time limit counts
    from when it became the worker's first page, not from when it was queued."""

    DEPTH = 2

    def __init__(self, workers: int = 1, time_limit: float = TIME_LIMIT_S, memory_mb: int = MEMORY_LIMIT_MB):
        self.time_limit = time_limit
        self.memory_mb = memory_mb
        self.all: list[_Worker] = []
        self.lock = threading.Lock()
        self.room = threading.Semaphore(self.DEPTH * max(1, workers))
        self.closed = False
        self.replaced = 0
        for _ in range(max(1, workers)):
            self.all.append(_Worker(self.memory_mb))

    def parse(self, data: bytes, **kwargs) -> Record:
        with self.room:
            while True:   # again only when the worker died on an earlier page queued before this one
                w, task = self._send(data, kwargs)
                if task.result is None and not task.retry:
                    task.turn.wait()
                    if task.result is None and not task.retry:
                        self._read(w, task)
                if not task.retry:
                    return task.result

    def _send(self, data: bytes, kwargs: dict) -> tuple[_Worker, _Task]:
        task = _Task()
        while True:
            with self.lock:
                w = min(self.all, key=lambda w: len(w.pending))
            with w.sending:
                with self.lock:
                    if w.dead:
                        continue
                    w.pending.append(task)
                    if len(w.pending) == 1:
                        task.started = time.monotonic()
                        task.turn.set()
                try:
                    w.conn.send(w.task(data, kwargs))
                except (OSError, ValueError) as exc:
                    self._fail(w, f"the extraction worker could not take the page ({exc}); it was replaced")
            return w, task

    def _read(self, w: _Worker, task: _Task) -> None:
        """The first page's thread reads the worker's answer and enforces the limits on it."""
        while True:
            try:
                if w.conn.poll(POLL_S):
                    result = w.conn.recv()
                    with self.lock:
                        if w.dead:   # replaced meanwhile (the pipe broke on a send): `_fail` settled this page
                            return
                        w.pending.popleft()
                        task.result = result
                        if w.pending:
                            w.pending[0].started = time.monotonic()
                            w.pending[0].turn.set()
                    return
            except (EOFError, OSError):
                self._fail(w, f"the extraction worker died on this page (exit code {w.process.exitcode}; memory "
                              f"limit {self.memory_mb} MB?); it was replaced")
                return
            if task.result is not None or task.retry:
                return
            if time.monotonic() - task.started > self.time_limit:
                self._fail(w, f"time limit: parsing took longer than {self.time_limit:g} s; "
                              "the extraction worker was stopped and replaced")
                return
            rss = _rss_mb(w.process.pid)
            if rss > self.memory_mb:
                self._fail(w, f"memory limit: parsing used {rss:.0f} MB (limit {self.memory_mb} MB); "
                              "the extraction worker was stopped and replaced")
                return

    def _fail(self, w: _Worker, why: str) -> None:
        """Kill and replace a worker: its first page's record says why; the pages queued behind it, which it
        never began, go to a worker again."""
        with self.lock:
            if w.dead:
                return
            w.dead = True
            self.all.remove(w)
            self.replaced += 1
            if not self.closed:   # before anyone looks for a worker again: `all` is never empty while open
                self.all.append(_Worker(self.memory_mb))
            queued = list(w.pending)
            w.pending.clear()
        for i, t in enumerate(queued):
            if i == 0:
                t.result = error_record(why)
            else:
                t.retry = True
            t.turn.set()
        w.kill()

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
