"""A real `nianbao serve` for the publishing tests: build a database with `nianbao ingest`, start the server
on a free 127.0.0.1 port, talk to it over HTTP, stop it. Used by tests/test_datasette.py and
tests/e2e/test_browser.py (one server per test module)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
NIANBAO = Path(sys.executable).with_name("nianbao")
METADATA = ROOT / "datasette_metadata.json"


def nianbao(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    if not NIANBAO.exists():
        pytest.fail(f"{NIANBAO} is missing: install the project (`.venv/bin/pip install -e '.[dev]'`)")
    return subprocess.run([str(NIANBAO), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def build_db(path: Path, *inputs: Path) -> Path:
    """`nianbao ingest INPUT... --db PATH`; ../shared must exist (a missing data set fails, never skips)."""
    for p in inputs:
        if not p.exists():
            pytest.fail(f"missing test data {p}: ../shared must sit beside the clone (tests never skip for data)")
    p = nianbao("ingest", *map(str, inputs), "--db", str(path), "--quiet")
    assert p.returncode == 0, f"nianbao ingest failed:\n{p.stdout}\n{p.stderr}"
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`nianbao serve --db DB --port N` as a subprocess; `.url`, `.db` (the Datasette database name)."""

    def __init__(self, db_path: Path, log_dir: Path):
        self.db_path = db_path
        self.db = db_path.stem
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"serve-{self.port}.log", "w+", encoding="utf-8")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if not NIANBAO.exists():
            pytest.fail(f"{NIANBAO} is missing: install the project (`.venv/bin/pip install -e '.[dev]'`)")
        self.proc = subprocess.Popen([str(NIANBAO), "serve", "--db", str(db_path), "--port", str(self.port)],
                                     cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"nianbao serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/-/versions.json", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"nianbao serve did not answer on {self.url} within 60 s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()

    # ── HTTP ────────────────────────────────────────────────────────────────────────────────────
    def get(self, path: str, params: dict | None = None) -> tuple[int, dict, bytes]:
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def json(self, path: str, **params) -> dict:
        status, _, body = self.get(path, params or None)
        data = json.loads(body)
        assert status == 200, f"GET {path} {params} → {status}: {data.get('error') or data}"
        return data

    def rows(self, query: str, **params) -> list[dict]:
        """A canned query (or table) through the JSON API, as a list of dicts."""
        params.setdefault("_shape", "objects")
        data = self.json(f"/{self.db}/{query}.json", **params)
        assert data.get("ok", True), data
        assert not data.get("truncated"), f"{query} {params}: truncated"
        return data["rows"]


def metadata() -> dict:
    return json.loads(METADATA.read_text(encoding="utf-8"))


def canned_queries() -> dict:
    return metadata()["databases"]["nianbao"]["queries"]
