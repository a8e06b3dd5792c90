"""Spiders: one base spider with per-CMS listing adapters (crawling issue)."""
