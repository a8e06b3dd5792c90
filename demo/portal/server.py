"""The HTTP side: one ThreadingHTTPServer on 127.0.0.1, sites routed by path prefix, conditional requests,
the view counter, the request log, and the hostile behaviours (truncated body, streamed 50 MB page)."""

from __future__ import annotations

import threading
import zlib
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from demo.portal.web import VIEWS, Request, Response, etag_of


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, portal, port: int):
        self.portal = portal
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request, client_address):
        # the hostile traps (truncated body, 50 MB page) end with the client hanging up: expected, not news
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


def _matches(header: str, etag: str) -> bool:
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or (tag[2:] if tag.startswith("W/") else tag) == etag:
            return True
    return False


def _not_modified(req: Request, etag: str, last_modified: datetime) -> bool:
    inm = req.headers.get("if-none-match")
    if inm is not None:
        return _matches(inm, etag)
    ims = req.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return last_modified.replace(microsecond=0) <= since
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nianbao-demo/1.0"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet: the portal keeps its own log
        pass

    def do_GET(self):
        self._serve("GET")

    def do_HEAD(self):
        self._serve("HEAD")

    def do_POST(self):
        self._serve("POST")

    def _serve(self, method: str) -> None:
        portal = self.server.portal
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        req = Request(method=method, path=parts.path, query=parse_qs(parts.query, keep_blank_values=True), body=body,
                      headers={k.lower(): v for k, v in self.headers.items()})
        try:
            resp = portal.route(req)
        except Exception as exc:  # noqa: BLE001 - a bug in a page must not kill the server
            resp = Response(status=500, body=f"demo portal error: {type(exc).__name__}: {exc}".encode(),
                            content_type="text/plain; charset=utf-8", cacheable=False)
        self._send(req, resp, portal)

    def _send(self, req: Request, resp: Response, portal) -> None:
        status, body = resp.status, resp.body
        headers = [("Content-Type", resp.content_type)] + list(resp.headers)
        if resp.cacheable and status == 200 and resp.stream is None:
            etag = resp.etag or etag_of(body)
            modified = resp.last_modified or datetime(2024, 1, 1, tzinfo=timezone.utc)
            headers += [("ETag", etag), ("Last-Modified", format_datetime(modified.astimezone(timezone.utc), usegmt=True))]
            if req.method in ("GET", "HEAD") and _not_modified(req, etag, modified):
                status, body = 304, b""
                headers = [h for h in headers if h[0] in ("ETag", "Last-Modified")]
        if resp.body_fn is not None and status == 200:
            body = resp.body_fn()
        if resp.views and status == 200:
            body = body.replace(VIEWS, str(portal.count_view(req.path)).encode())
        declared = resp.length if resp.length is not None else len(body)
        portal.log(req.method, self.path, status)
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(declared))
            if resp.length is not None and resp.stream is None:
                self.send_header("Connection", "close")
            self.end_headers()
            if req.method == "HEAD" or status == 304:
                return
            if resp.stream is not None:
                for chunk in resp.stream():
                    self.wfile.write(chunk)
            else:
                self.wfile.write(body)
            if resp.length is not None and resp.stream is None:
                self.wfile.flush()
                self.close_connection = True   # fewer bytes than Content-Length, then the connection closes
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True


class ViewCounter:
    """浏览次数: a per-page counter that goes up on every request (so the bytes differ every time)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def next(self, path: str) -> int:
        with self._lock:
            n = self._counts.get(path)
            if n is None:
                n = 100 + zlib.crc32(path.encode()) % 5000
            n += 1
            self._counts[path] = n
            return n
