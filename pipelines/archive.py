"""The archive step: raw bytes are kept, content-addressed by sha256, before anything parses them.

The bytes go to WARC files beside the database (pipelines/warc_archive.py); the `archive` table keeps one
row per distinct body: sha256, size, content type and where its record is (warc_file, warc_offset,
warc_length). The published `nianbao.db` thus carries no raw bytes; `nianbao reparse` and the source view
read them back from the WARC files.
"""

from __future__ import annotations

import hashlib

from pipelines.warc_archive import ArchiveError, archive_for, archived_bytes, resource_uri

__all__ = ["ArchiveError", "archive_bytes", "archived", "sha256"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_bytes(db, data: bytes, content_type: str | None = None, *, source: str | None = None,
                  http: dict | None = None, fetched_at: str | None = None) -> str:
    """Keep the bytes once (idempotent) and return their sha256. With `http` (status, headers, request) they
    are a crawled `response` record, otherwise a `resource` record of `source`."""
    digest = sha256(data)
    if db.conn.execute("SELECT 1 FROM archive WHERE sha256 = ?", [digest]).fetchone():
        return digest
    warc = archive_for(db.conn)
    uri = source or f"urn:sha256:{digest}"
    if http and http.get("status") is not None and uri.startswith(("http://", "https://")):
        loc = warc.write_response(uri, data, status=http["status"], headers=http.get("headers"),
                                  request=http.get("request"), fetched_at=fetched_at, content_type=content_type)
    else:
        loc = warc.write_resource(resource_uri(uri), data, content_type=content_type, when=fetched_at)
    db.conn.execute(  # in the caller's transaction (sqlite-utils' db.execute would commit on its own)
        "INSERT INTO archive (sha256, size, content_type, warc_file, warc_offset, warc_length) VALUES (?, ?, ?, ?, ?, ?)",
        [digest, len(data), content_type, *loc],
    )
    return digest


def archived(db, digest: str) -> bytes | None:
    """The bytes with this sha256, read back from the WARC archive (ArchiveError when unreadable)."""
    return archived_bytes(db.conn, digest)
