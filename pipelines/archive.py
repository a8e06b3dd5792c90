"""The archive step: raw bytes are stored, content-addressed by sha256, before anything parses them.

They live in the database itself (table `archive`), so the one SQLite file a journalist downloads holds
the evidence behind every number, and `nianbao reparse` can rebuild every record without recrawling.
Datasette serves a blob as a download, never as a page: a stored `<script>` cannot run in a reader's
browser.
"""

from __future__ import annotations

import hashlib


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_bytes(db, data: bytes, content_type: str | None = None) -> str:
    """Store the bytes once (idempotent) and return their sha256."""
    digest = sha256(data)
    db.conn.execute(  # in the caller's transaction (sqlite-utils' db.execute would commit on its own)
        "INSERT OR IGNORE INTO archive (sha256, size, content_type, data) VALUES (?, ?, ?, ?)",
        [digest, len(data), content_type, data],
    )
    return digest


def archived(db, digest: str) -> bytes | None:
    row = db.execute("SELECT data FROM archive WHERE sha256 = ?", [digest]).fetchone()
    return row[0] if row else None
