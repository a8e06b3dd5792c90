"""The offline demo (`nianbao demo`, `make demo`): serve the demo portal on 127.0.0.1, crawl it with the real
spider (`nianbao crawl` in a subprocess, as cron would run it), add the bundled real example reports
(demo/reports), and say how many reports the database publishes. Nothing here reads ../shared."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent   # where `python -m nianbao_cli` is found (the tree or site-packages)
REPORTS = Path(__file__).resolve().parent / "reports"


def build_demo_database(db_path: Path, size: int = 1, quiet: bool = False, progress=None, workers: int = 1) -> int:
    """A fresh demo database at `db_path`; 0, or the crawl's exit code when it failed."""
    from crawler.run import write_sites_csv
    from demo.portal import DemoPortal
    from pipelines.ingest import ingest_paths
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db
    from pipelines.writers import load_registry

    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    portal = DemoPortal(size=size).start()
    print(f"demo portal: {portal.base_url}/ ({len(portal.sites())} sites)", file=sys.stderr)
    db = open_db(str(db_path))
    with db.conn:  # the synthetic agencies registered first: each report then has its province and level
        load_registry(db, portal.agencies())
    db.conn.close()
    try:
        with tempfile.TemporaryDirectory(prefix="nianbao-demo-") as tmp:
            sites_csv = str(Path(tmp) / "sites.csv")
            write_sites_csv(portal.sites(), sites_csv)
            crawl = subprocess.run([sys.executable, "-m", "nianbao_cli", "crawl", "--sites-file", sites_csv,
                                    "--db", str(db_path), "--no-throttle"] + ([] if quiet else ["--progress"]),
                                   cwd=ROOT)
            if crawl.returncode not in (0, 3):
                print(f"nianbao demo: the crawl failed (exit {crawl.returncode})", file=sys.stderr)
                return crawl.returncode
    finally:
        portal.stop()
    with writer_lock(db_path):
        db = open_db(str(db_path))
        counts = ingest_paths(db, [str(REPORTS)], progress=progress, workers=workers)
    reports = db.execute("SELECT count(*) FROM report_summary").fetchone()[0]
    print(f"demo database: {reports} published reports (crawl + {sum(counts.values())} bundled real documents) "
          f"→ {db_path}")
    db.conn.close()
    return 0


def serve_portal(size: int = 1, port: int = 8700, corpus: str | None = None) -> int:
    """`nianbao demo-portal`: the demo portal on 127.0.0.1 until Ctrl-C, its sites listed."""
    from demo.portal import DemoPortal

    portal = DemoPortal(size=size, port=port, corpus_dir=corpus).start()
    print(f"demo portal at {portal.base_url}/ — sites:")
    for site in portal.sites():
        print(f"  {site['agency']:<14} {site.get('column_url') or site['portal_url']}")
    print("Ctrl-C stops.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()
    return 0
