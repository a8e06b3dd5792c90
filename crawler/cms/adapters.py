"""The listing adapters in detection order, and the choice of one for a page.

Order matters: Hanweb's <datastore> is unambiguous; TRS next (createPageHTML / list2.trsapi / a …/trsapi/list2
JSON answer); then the `data-api` JSON listing; the generic adapter recognises every page and comes last.
"""

from __future__ import annotations

from crawler.cms.base import Adapter, Listing
from crawler.cms.generic import GenericAdapter, is_attachment, report_year
from crawler.cms.hanweb import HanwebAdapter
from crawler.cms.jsonapi import JsonApiAdapter
from crawler.cms.trs import TrsAdapter

ADAPTERS: tuple[Adapter, ...] = (HanwebAdapter(), TrsAdapter(), JsonApiAdapter(), GenericAdapter())
BY_NAME = {a.name: a for a in ADAPTERS}
# names a site row's `cms` column (crawler/sites.csv, the demo portal's sites()) may use for a family
ALIASES = {
    "trs": "trs", "trswcm": "trs", "trs_wcm": "trs", "wcm": "trs", "trsdyn": "trs", "trs_dyn": "trs", "拓尔思": "trs",
    "hanweb": "hanweb", "jcms": "hanweb", "dahan": "hanweb", "大汉": "hanweb",
    "jsonapi": "jsonapi", "json": "jsonapi", "api": "jsonapi",
    "generic": "generic", "static": "generic", "gbk": "generic",
}

__all__ = ["ADAPTERS", "adapter_for", "read", "is_attachment", "report_year"]


def adapter_for(url: str, text: str, hint: str | None = None) -> Adapter:
    """The adapter for a listing page. A `hint` (a site's cms, or the name of the adapter that asked for this
    page) is tried first but only taken when that adapter recognises the page; otherwise detection order
    decides, and the generic adapter takes whatever nobody else claims."""
    if hint:
        name = ALIASES.get(hint.strip().lower(), hint.strip().lower())
        hinted = BY_NAME.get(name)
        # a hint to the fallback is no reason to ignore a page that a specific family recognises
        if hinted is not None and hinted.name != "generic" and hinted.detect(url, text):
            return hinted
    for adapter in ADAPTERS:
        if adapter.detect(url, text):
            return adapter
    return BY_NAME["generic"]  # pragma: no cover - generic detects everything


def read(url: str, text: str, hint: str | None = None) -> Listing:
    return adapter_for(url, text, hint).read(url, text)
