"""The decode step: archived bytes → text, with the encoding that was used (see extract/encoding.py)."""

from extract.encoding import UndecodableError, charset_from_content_type, decode

__all__ = ["UndecodableError", "charset_from_content_type", "decode"]
