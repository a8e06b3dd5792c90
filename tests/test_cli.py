"""The `nianbao` command as a user runs it (a real subprocess of the installed console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, shared

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def run(*args):
    return subprocess.run([NIANBAO, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_extract_json_is_the_canonical_record():
    p = run("extract", str(shared("seeds", "001_5ead8cc1c8ee6d6d.txt")), "--json")
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    assert rec["format"] == "2021" and rec["year"] == 2024
    assert rec["active"]["fees.amount_wan_yuan"] == 106.99516
    assert rec["spam"] == [] and isinstance(rec["checks"], list) and rec["text"]


def test_extract_for_a_person_lays_out_tables_and_flags_failures():
    p = run("extract", str(shared("seeds", "002_a13882358a356a89.txt")))
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "三、收到和处理政府信息公开申请情况" in out and "四、政府信息公开行政复议、行政诉讼情况" in out
    assert "✗ row_total [granted]  0 ≠ 1 + 0 + 0 + 0 + 0 + 0" in out
    assert "采购总金额(元)=71219900" in out


def test_unparsed_cells_are_marked():
    p = run("extract", str(shared("corpus", "pingtan", "pingtan-2024-report.txt")))
    # '行政规范性文件6233440': the prose settles 本年制发件数 = 62 (issue 11); the other two stay unread
    assert "本年废止件数=?" in p.stdout and "未能确定 unparsed (2)" in p.stdout


def test_missing_file_is_one_line_on_stderr():
    p = run("extract", "/nonexistent/report.pdf")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip().count("\n") == 0 and "no such file" in p.stderr


def test_broken_file_is_a_record_and_one_line_never_a_traceback(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(shared("corpus", "huaian", "hongze-2023-report.pdf").read_bytes()[:2000])
    p = run("extract", str(bad), "--json")
    assert p.returncode == 1
    assert "Traceback" not in p.stderr and p.stderr.strip().count("\n") == 0
    assert json.loads(p.stdout)["outcome"] == "error"


def test_ingest_and_demo_build_a_database(tmp_path):
    db = tmp_path / "x.db"
    p = run("ingest", str(shared("seeds")), "--db", str(db), "--quiet")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"ingested: new 5 → {db}"
    again = run("ingest", str(shared("seeds")), "--db", str(db), "--quiet")
    assert again.stdout.strip() == f"ingested: unchanged 5 → {db}"
    demo = tmp_path / "demo.db"
    p = run("demo", "--no-serve", "--db", str(demo), "--quiet")
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip().endswith(f"demo database: 103 published reports (crawl + 3 bundled real documents) → {demo}")
    import sqlite3

    conn = sqlite3.connect(demo)
    rows = conn.execute("SELECT agency, year FROM report_summary WHERE agency IN "
                        "('洪泽区人民政府', '平潭综合实验区', '沐阳县人民政府') ORDER BY year").fetchall()
    assert rows == [("洪泽区人民政府", 2023), ("平潭综合实验区", 2024), ("沐阳县人民政府", 2025)]
    (finish, sites), = conn.execute("SELECT finish_reason, sites FROM crawl_runs").fetchall()
    assert finish == "finished" and "示例市人民政府" in sites


def test_serve_refuses_a_missing_database(tmp_path):
    p = run("serve", "--db", str(tmp_path / "none.db"))
    assert p.returncode == 2 and "no such database" in p.stderr
