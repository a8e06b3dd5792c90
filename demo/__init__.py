"""The offline demo: a generated portal (demo/portal) and bundled real reports (demo/reports)."""
