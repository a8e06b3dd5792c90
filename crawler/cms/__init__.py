"""Listing adapters, one per CMS family. Pure functions of (url, body): unit-testable on saved pages."""
