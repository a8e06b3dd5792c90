"""The offline demo portal (contract: README.md in this directory).

    portal = DemoPortal(size=1, corpus_dir=None, port=0, seed=7).start()
    portal.base_url, portal.sites(), portal.manifest(), portal.advance(), portal.requests, portal.stop()

Generated reports are deterministic for a (seed, size, generation); only the 浏览次数 counter changes
between requests. Nothing here reads ../shared unless a caller passes `corpus_dir`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from demo.portal.families import CLONE_HOST, FAMILY_SITES, CloneSite
from demo.portal.server import DemoServer, ViewCounter
from demo.portal.sites import ROBOTS_TXT, SITE_CLASSES, RealSite
from demo.portal.web import SITE_EPOCH, Request, Response, html, not_found

__all__ = ["DemoPortal"]


class DemoPortal:
    def __init__(self, size: int = 1, corpus_dir: str | Path | None = None, port: int = 0, seed: int = 7):
        if size < 1:
            raise ValueError("size must be >= 1")
        self.size, self.seed, self.port = size, seed, port
        self.corpus_dir = Path(corpus_dir) if corpus_dir else None
        self.generation = 1
        self.base_url = f"http://127.0.0.1:{port}"
        self._server: DemoServer | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()
        self._views = ViewCounter()
        self.requests: list[tuple[str, str, int]] = []
        self._sites = [cls(self, size, seed) for cls in SITE_CLASSES + FAMILY_SITES]
        if self.corpus_dir is not None:
            self._sites.append(RealSite(self, size, seed, self.corpus_dir))
        self._by_key = {s.key: s for s in self._sites}
        self._clone = CloneSite(self, self._by_key["gd"])   # the same paths on host name `localhost`

    # ── lifecycle ──
    def start(self) -> "DemoPortal":
        if self._server is not None:
            return self
        self._server = DemoServer(self, self.port)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="nianbao-demo-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "DemoPortal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ── what callers read ──
    def sites(self) -> list[dict]:
        rows: list[dict] = []
        for s in self._sites:
            rows += s.site_rows()
        return rows + self._clone.site_rows()

    def agencies(self) -> list[dict]:
        """Every agency of the portal as registry rows: the sites' own and their departments'."""
        return self.sites() + [row for s in self._sites for row in s.department_rows()]

    def manifest(self) -> dict:
        out = {s.key: s.manifest_entry() for s in self._sites}
        out["trs"]["generation"] = self.generation
        out["gd"]["clone"] = self._clone.manifest_entry()
        changed = [r for r in out["trs"]["reports"] if "gen2" in r["quirks"]]
        if changed:
            out["trs"]["changes_in_generation_2"] = {"url": changed[0]["url"], "key": "active.licensing.decisions"}
        return out

    def site(self, key: str):
        return self._by_key[key]

    def advance(self) -> None:
        """Generation 2: exactly one report (on `trs`) changes one figure, so its bytes and ETag change."""
        self.generation = 2

    def withdraw(self, key: str, url: str) -> None:
        """A report disappears from its site's listing (its page still answers, as on real portals that
        unlink rather than delete): the next crawl must mark it removed, not delete it."""
        site = self._by_key[key]
        path = url.split(self.base_url, 1)[-1]
        before = len(site.listed)
        site.listed = [s for s in site.listed if s.path != path]
        if len(site.listed) != before - 1:
            raise ValueError(f"{url} is not listed on {key}")

    def reset_log(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.requests.append((method, path, status))

    def count_view(self, path: str) -> int:
        return self._views.next(path)

    # ── routing ──
    def route(self, req: Request) -> Response:
        if req.path == "/robots.txt":
            return Response(body=ROBOTS_TXT.encode(), content_type="text/plain; charset=utf-8", last_modified=SITE_EPOCH)
        if (req.headers.get("host") or "").split(":")[0] == CLONE_HOST:
            return self._clone.handle(req) or not_found(req.path)
        if req.path in ("/", "/index.html"):
            return html(self.index_page())
        key = req.path.strip("/").split("/", 1)[0]
        site = self._by_key.get(key)
        resp = site.handle(req) if site is not None else None
        return resp if resp is not None else not_found(req.path)

    def index_page(self) -> str:
        rows = "".join(f'<li><a href="{r["portal_url"]}">{r["agency"]}</a> — {r["notes"]}</li>' for r in self.sites())
        return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>nianbao demo portal</title></head><body>'
                f"<h1>nianbao demo portal</h1><p>size {self.size}, seed {self.seed}, generation {self.generation}</p>"
                f"<ul>{rows}</ul></body></html>")
