"""The extract step of the pipeline: archived bytes → canonical record (see extract/)."""

from extract.record import extract_bytes

__all__ = ["extract_bytes"]
