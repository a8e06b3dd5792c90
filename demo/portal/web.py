"""Request and response values passed between the HTTP handler and the sites."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator
from urllib.parse import parse_qs

VIEWS = b"{{nianbao:views}}"   # replaced by the view counter on every request (ETag is taken before)
HTML = "text/html; charset=utf-8"
SITE_EPOCH = datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc)


@dataclass
class Request:
    method: str
    path: str                     # without the query string
    query: dict                   # parse_qs of the query string
    body: bytes = b""
    headers: dict = field(default_factory=dict)   # lower-case names

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default

    def form(self) -> dict:
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    headers: list = field(default_factory=list)        # extra (name, value) pairs
    last_modified: datetime | None = None               # with an ETag: a cacheable static resource
    cacheable: bool = True                              # carries ETag / Last-Modified, answers 304
    views: bool = False                                 # body holds the VIEWS placeholder
    stream: Callable[[], Iterator[bytes]] | None = None  # body produced in chunks (the 50 MB page)
    length: int | None = None                           # declared Content-Length when it differs (truncated)
    etag: str | None = None                             # known ETag: the body need not be built for a 304
    body_fn: Callable[[], bytes] | None = None          # builds the body when it is really sent


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:24] + '"'


def html(body: str, *, status: int = 200, encoding: str = "utf-8", content_type: str | None = None,
         last_modified: datetime | None = None, views: bool = False, cacheable: bool = True) -> Response:
    return Response(status=status, body=body.encode(encoding), content_type=content_type or HTML,
                    last_modified=last_modified or SITE_EPOCH, views=views, cacheable=cacheable)


def not_found(path: str) -> Response:
    body = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>"
            f"<body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除：{path}</p></body></html>")
    return Response(status=404, body=body.encode("utf-8"), cacheable=False)


def redirect(location: str, status: int = 302) -> Response:
    return Response(status=status, body=b"", headers=[("Location", location)], cacheable=False)
