"""One reader per document kind; each returns a `Document` (rows in reading order)."""
