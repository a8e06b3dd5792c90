"""Issue 9's seam defects, each reproduced as the issue describes it: one page's failure is that page's
outcome (2, 3), the extraction worker's time and memory limits (5), one writer at a time (8), `serve` after
a kill -9 and Ctrl-C (10), and no process outliving `nianbao crawl` (issue 10). Hostile inputs are made
here from the real corpus pages."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXPECTED, ROOT, load_expected, q, shared

from crawler.run import write_sites_csv
from demo.portal import DemoPortal
from pipelines.ingest import ingest_bytes, ingest_paths, reparse
from pipelines.lock import writer_lock
from pipelines.schema import open_db
from pipelines.worker import ParsePool, _rss_mb

NIANBAO = str(Path(sys.executable).with_name("nianbao"))
PINGTAN_2024 = ("corpus", "pingtan", "pingtan-2024-report.html")


def poison_pages(folder: Path) -> list[Path]:
    """The real pingtan 2024 page with its 本年新收 total (218) replaced by a figure ≥ 2^63, and by one of
    5,000 digits: what made storage raise and every later crawl and reparse die at start."""
    html = shared(*PINGTAN_2024).read_text(encoding="utf-8")
    assert html.count(">218<") == 2
    out = []
    for name, figure in (("over-2-63.html", str(2 ** 63)), ("5000-digits.html", "7" * 5000)):
        path = folder / name
        path.write_text(html.replace(">218<", f">{figure}<", 1), encoding="utf-8")
        out.append(path)
    return out



# ── defects 2 and 3: a poison page is that page's outcome, the batch goes on ───────────────────────

def test_a_poison_page_does_not_abort_the_ingest_batch(tmp_path):
    poison = poison_pages(tmp_path)
    db = open_db(str(tmp_path / "p.db"))
    counts = ingest_paths(db, [str(p) for p in poison] + [str(shared("seeds")), str(shared("corpus", "pingtan"))])
    files = 2 + 5 + 12
    assert sum(counts.values()) == files  # every file counted once: the counters tell the truth
    assert db["pages"].count == files and db.execute(
        "SELECT count(*) FROM pages WHERE parse_outcome = 'pending'").fetchone() == (0,)
    assert counts["new"] >= 5 + 9  # the seeds and the pingtan reports after the poison pages are all in
    for path in poison:  # each poison page is kept, with its outcome and why (unless the figure is refused)
        (outcome, detail), = db.execute("SELECT parse_outcome, detail FROM pages WHERE path = ?", [str(path)])
        assert outcome in ("error", "ok") and (outcome == "ok" or detail)


def test_the_cli_ingest_records_a_poison_page_and_goes_on(tmp_path):
    poison = poison_pages(tmp_path)
    db = tmp_path / "cli.db"
    r = subprocess.run([NIANBAO, "ingest", *map(str, poison), str(shared("seeds")), "--db", str(db), "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert q(db, "SELECT count(*) FROM pages") == [(7,)] and q(db, "SELECT count(*) FROM reports") >= [(5,)]


def test_a_pending_poison_page_does_not_stop_reparse_or_the_next_crawl(tmp_path):
    """A crawl killed between archive and parse leaves the page pending; the next crawl finishes pending
    pages first (reparse only_pending). That used to raise at start, every time."""
    db = open_db(str(tmp_path / "pending.db"))
    from pipelines.writers import store_page

    for path in poison_pages(tmp_path):
        with db.conn:
            store_page(db, source=str(path), data=path.read_bytes(), path=str(path))
    with db.conn:
        ingest_bytes(db, shared("seeds", "000_bf21e4edf43461de.txt").read_bytes(), source="seed000",
                     path="000_bf21e4edf43461de.txt")
    assert db.execute("SELECT count(*) FROM pages WHERE parse_outcome = 'pending'").fetchone() == (2,)
    counts = reparse(db, only_pending=True)
    assert sum(counts.values()) == 2
    assert db.execute("SELECT count(*) FROM pages WHERE parse_outcome = 'pending'").fetchone() == (0,)
    assert sum(reparse(db).values()) == 3  # and a full reparse visits all three again


def test_extract_json_prints_a_record_for_a_poison_page(tmp_path):
    _, long_figure = poison_pages(tmp_path)
    r = subprocess.run([NIANBAO, "extract", str(long_figure), "--json"], capture_output=True, text=True, timeout=120)
    record = json.loads(r.stdout)  # a record, whatever it says
    assert record["outcome"] in ("ok", "error") and "Traceback" not in r.stderr
    if record["outcome"] == "error":
        assert record["detail"] and r.returncode == 1


# ── reparse re-parses pages whose extraction failed, once the extractor can read them ──────────────

def test_reparse_rescues_a_page_the_extractor_failed_on(tmp_path, monkeypatch):
    """The hongze PDF stored while the PDF reader failed on it (here: a reader that stops at byte 20,000,
    as it would on the truncated download — pdfminer's "Unexpected EOF"); then the reader is fixed and
    `reparse` turns the archived bytes into the report with the hand-read values."""
    import extract.readers.pdf as pdf_reader

    real_read_pdf = pdf_reader.read_pdf
    monkeypatch.setattr(pdf_reader, "read_pdf", lambda data: real_read_pdf(data[:20000]))
    db = open_db(str(tmp_path / "r.db"))
    path = shared("corpus", "huaian", "hongze-2023-report.pdf")
    with db.conn:
        _, report_id, status = ingest_bytes(db, path.read_bytes(), source=str(path), path=str(path))
    assert (report_id, status) == (None, "error")   # counted as a failure in the summary, not as "not a report"
    (outcome, detail), = db.execute("SELECT parse_outcome, detail FROM pages").fetchall()
    assert outcome == "error" and "Unexpected EOF" in detail

    monkeypatch.setattr(pdf_reader, "read_pdf", real_read_pdf)  # the extractor fix
    assert reparse(db) == {"new": 1}
    assert db.execute("SELECT parse_outcome, detail FROM pages").fetchall() == [("ok", "")]
    expected = load_expected(EXPECTED / "hongze-2023-report.pdf.json")
    (agency, year), = db.execute("SELECT agency, year FROM reports").fetchall()
    assert (agency, year) == (expected["agency"], expected["year"])
    cells = dict(db.execute("SELECT key, value FROM cells WHERE table_name = 'applications'").fetchall())
    assert cells["new_received.total"] == expected["applications"]["new_received.total"] == 21


# ── defect 5: the worker's time and memory limits ───────────────────────────────────────────────

def test_the_worker_is_replaced_when_a_page_exceeds_its_time_or_memory_limit():
    seed = shared("seeds", "000_bf21e4edf43461de.txt").read_bytes()
    pdf = shared("corpus", "huaian", "huaian-2024-report.pdf").read_bytes()
    with ParsePool(1, time_limit=60) as pool:
        assert pool.parse(seed, filename="000.txt")["agency"] == "阿拉善盟行政公署"  # warm: imports loaded
        first = pool.all[0].process
        pool.time_limit = 0.2  # the real PDF takes longer than that on any machine
        record = pool.parse(pdf, filename="huaian.pdf")
        assert record["outcome"] == "error" and record["detail"].startswith("time limit: parsing took longer than 0.2 s")
        assert pool.replaced == 1 and not first.is_alive()
        pool.time_limit = 60
        assert pool.parse(seed, filename="000.txt")["agency"] == "阿拉善盟行政公署"  # the new worker works
        idle = _rss_mb(pool.all[0].process.pid)
        pool.memory_mb = int(idle) + 15  # reading the 412 KB PDF takes far more than 15 MB over idle
        record = pool.parse(pdf, filename="huaian.pdf")
        assert record["outcome"] == "error" and record["detail"].startswith("memory limit: parsing used")
        assert pool.replaced == 2
        pool.memory_mb = 1536
        assert pool.parse(pdf, filename="huaian.pdf")["agency"] == "淮安市人民政府"


def test_a_page_queued_behind_one_that_kills_its_worker_is_parsed_by_the_replacement():
    """A worker holds two pages (the next waits in its pipe). When it dies on the first — here killed as the
    kernel's OOM killer would — that page's record says so, and the second, which it never began, is parsed
    by the new worker: it is not charged with the first page's failure."""
    from concurrent.futures import ThreadPoolExecutor

    seed = shared("seeds", "000_bf21e4edf43461de.txt").read_bytes()
    pdf = shared("corpus", "huaian", "huaian-2024-report.pdf").read_bytes()
    with ParsePool(1) as pool, ThreadPoolExecutor(2) as threads:
        assert pool.parse(seed, filename="000.txt")["agency"] == "阿拉善盟行政公署"  # warm: imports loaded
        worker = pool.all[0]
        first = threads.submit(pool.parse, pdf, filename="huaian.pdf")
        while len(worker.pending) < 1:
            time.sleep(0.001)
        second = threads.submit(pool.parse, seed, filename="000.txt")
        while len(worker.pending) < 2:
            time.sleep(0.001)
        os.kill(worker.process.pid, signal.SIGKILL)   # reading the 412 KB PDF takes far longer than this
        died, queued = first.result(timeout=120), second.result(timeout=120)
    assert died["outcome"] == "error" and died["detail"].startswith("the extraction worker died on this page")
    assert queued["agency"] == "阿拉善盟行政公署" and queued["outcome"] != "error"
    assert pool.replaced == 1 and pool.all[0] is not worker


def test_the_registry_hosts_go_to_a_worker_once_and_the_pages_still_see_them():
    """A national registry is tens of thousands of hosts: sent to a worker with its first page, then a word in
    their place while the caller passes the same set. A page on a host in the set is the agency's own; out of
    it, a mirror — so a worker that lost the set, or kept an old one, would quarantine the wrong pages."""
    from pipelines.worker import SAME_HOSTS

    page = shared(*PINGTAN_2024).read_bytes()
    url = "https://www.moonvisionstudio.com/zwgk/t20250310_97791.htm"
    registry = frozenset({"www.moonvisionstudio.com"})
    with ParsePool(1) as pool:
        worker, replaced = pool.all[0], []
        real_task = worker.task

        def task(data, kwargs):   # what goes down the pipe: the set, or the word in its place
            out = real_task(data, kwargs)
            replaced.append(out[1]["registry_hosts"] == SAME_HOSTS)
            return out

        worker.task = task
        quarantined = [pool.parse(page, url=url, filename=url, registry_hosts=hosts)["quarantined"]
                       for hosts in (registry, registry, frozenset(), registry)]
    assert replaced == [False, True, False, False]
    assert quarantined == [False, False, True, False]


# ── defect 8: one writer at a time ──────────────────────────────────────────────────────────────

def copies(folder: Path, sources: list[Path]) -> Path:
    folder.mkdir()
    for s in sources:
        (folder / s.name).write_bytes(s.read_bytes())
    return folder


def test_two_ingests_at_once_both_finish_and_every_page_is_stored(tmp_path):
    files = sorted(shared("seeds").glob("*.txt")) + sorted(shared("corpus", "pingtan").glob("*.txt"))[:8]
    a, b = copies(tmp_path / "a", files), copies(tmp_path / "b", files)
    db = tmp_path / "two.db"
    env = {**os.environ, "NIANBAO_EXTRACT_WORKERS": "0"}
    procs = [subprocess.Popen([NIANBAO, "ingest", str(d), "--db", str(db), "--quiet"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for d in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
    assert any("waiting:" in err and "one writer at a time" in err for _, err in outs)
    assert not any("database is locked" in err for _, err in outs)
    assert q(db, "SELECT count(*) FROM pages") == [(2 * len(files),)]


def test_a_second_writer_can_refuse_instead_of_waiting(tmp_path):
    db = tmp_path / "busy.db"
    with writer_lock(db):
        r = subprocess.run([NIANBAO, "reparse", "--db", str(db), "--no-wait"], capture_output=True, text=True,
                           timeout=60)
    assert r.returncode == 2
    assert f"{db} is being written by pid {os.getpid()}" in r.stderr and "Traceback" not in r.stderr


# ── defect 10: serve after a kill -9 mid-write ──────────────────────────────────────────────────

KILLED_WRITER = """
import os, signal, sys
from pipelines.ingest import ingest_bytes
from pipelines.schema import open_db
from pipelines.writers import bulk_writes
db = open_db(sys.argv[1])
with bulk_writes(db):  # WAL while writing, as ingest and the crawler do
    for path in sys.argv[2:]:
        with db.conn:
            ingest_bytes(db, open(path, "rb").read(), source=path, path=path)
    os.kill(os.getpid(), signal.SIGKILL)  # before the checkpoint that folds the WAL back in
"""


def test_serve_after_a_writer_was_killed_shows_what_it_committed(tmp_path):
    db = tmp_path / "killed.db"
    seeds = sorted(str(p) for p in shared("seeds").glob("*.txt"))
    r = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db), *seeds], cwd=ROOT, capture_output=True,
                       timeout=120)
    assert r.returncode == -signal.SIGKILL
    assert Path(str(db) + "-wal").stat().st_size > 0  # the five reports are in the WAL only
    get = f"/{db.stem}/reports.json?_shape=array&_col=agency"
    s = subprocess.run([NIANBAO, "serve", "--db", str(db), "--get", get], capture_output=True, text=True, timeout=120)
    assert s.returncode == 0, s.stderr[-2000:]
    assert len(json.loads(s.stdout)) == 5
    assert "settled the -wal file left by an interrupted writer" in s.stderr


def test_serve_refuses_while_a_writer_is_running(tmp_path):
    db = tmp_path / "busy.db"
    open_db(str(db)).conn.close()
    Path(str(db) + "-journal").write_bytes(b"")  # a writer mid-transaction
    with writer_lock(db):
        s = subprocess.run([NIANBAO, "serve", "--db", str(db), "--get", "/"], capture_output=True, text=True,
                           timeout=60)
    assert s.returncode == 2 and "not serving a half-written database" in s.stderr


# ── process hygiene and Ctrl-C ──────────────────────────────────────────────────────────────────

def descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for tid in os.listdir(f"/proc/{p}/task") if os.path.exists(f"/proc/{p}/task") else []:
            try:
                kids = {int(k) for k in Path(f"/proc/{p}/task/{tid}/children").read_text().split()}
            except OSError:
                kids = set()
            out |= kids
            todo += list(kids)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.fixture
def crawl_in_its_own_session(tmp_path):
    """`nianbao crawl` of the demo portal (plus the real corpus pages) in its own session, as a terminal
    or cron would run it; yields (process, its worker pids) once it is storing pages."""
    portal = DemoPortal(size=1, corpus_dir=str(shared("corpus"))).start()
    sites_csv, db = tmp_path / "sites.csv", tmp_path / "c.db"
    write_sites_csv(portal.sites(), str(sites_csv))
    proc = subprocess.Popen([NIANBAO, "crawl", "--sites-file", str(sites_csv), "--db", str(db), "--no-throttle"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            workers |= descendants(proc.pid)
            try:
                if workers and q(db, "SELECT count(*) FROM pages WHERE report_id IS NOT NULL")[0][0] >= 10:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.2)
        assert proc.poll() is None and workers, "the crawl should be running, with its extraction worker"
        yield proc, workers
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        portal.stop()


def test_no_process_outlives_a_sigkilled_crawl(crawl_in_its_own_session):
    proc, workers = crawl_in_its_own_session
    os.kill(proc.pid, signal.SIGKILL)  # the crawl alone; its worker is not signalled
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if alive(p)], "a worker outlived the killed crawl by 10 s"


def test_ctrl_c_stops_the_crawl_cleanly(crawl_in_its_own_session):
    proc, workers = crawl_in_its_own_session
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: SIGINT to the whole foreground group
    out, err = proc.communicate(timeout=120)
    assert "BrokenProcessPool" not in err and "Traceback" not in err, err[-3000:]
    assert "crawl run 1: shutdown" in out
    deadline = time.monotonic() + 10  # multiprocessing's resource tracker exits when its pipe closes
    while time.monotonic() < deadline and any(alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if alive(p)]
