"""May this origin be fetched? The crawler's one network policy (pure: no Scrapy, usable from ingest too).

A request goes out only to
  * an origin (scheme, host, port) the registry or a `--sites-file` names — exactly that origin; a named
    origin on a default port names the same host's other default-port origin too (http:80 ⇄ https:443);
  * or a DNS name under `.gov.cn` on the default port of its scheme (80 for http, 443 for https),
and, for anything not named exactly, only when every address the name resolves to is a public one:
loopback, private, link-local, multicast, reserved and unspecified addresses are refused after
resolution, and so are numeric hosts of any form (dotted, integer `2130706433`, hex, IPv6 literals)
unless that exact origin is named. The demo portal and the tests' servers run on 127.0.0.1: their
sites files name their exact origin, which is how they get fetched; the project registry names none.

Which *hosts* count as government or registry hosts for the content rules (a mirror is quarantined, a
hidden link to a foreign host is spam) is `is_known_host`, here too, so there is one list.

URL classification (which URLs are articles, columns, attachments) is not this module's business.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
GOV_SUFFIX = ".gov.cn"

# a host made only of digits, dots and hex forms is an address in disguise (127.1, 0x7f.1, 2130706433)
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+))*\.?$", re.I)

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def normalize_host(host: str) -> str:
    return (host or "").strip().lower().rstrip(".")


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL, default ports filled in; None when it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port out of range or not a number
        return None
    scheme = parts.scheme.lower()
    host = normalize_host(parts.hostname or "")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def is_gov_name(host: str) -> bool:
    host = normalize_host(host)
    return (host == "gov.cn" or host.endswith(GOV_SUFFIX)) and not is_numeric_host(host)


def is_numeric_host(host: str) -> bool:
    host = normalize_host(host)
    if ":" in host:
        return True  # an IPv6 literal
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(NUMERIC_HOST.match(host))


def is_public_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the name resolves to (IPv4 and IPv6); [] when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


class NetPolicy:
    """The allow-list of named origins, and the rules for everything else."""

    def __init__(self, origins: Iterable[Origin | str] = ()):
        named: set[Origin] = set()
        for o in origins:
            origin = o if isinstance(o, Origin) else origin_of(o)
            if origin is None:
                continue
            named.add(origin)
            if origin.port == DEFAULT_PORTS[origin.scheme]:
                other = "https" if origin.scheme == "http" else "http"
                named.add(Origin(other, origin.host, DEFAULT_PORTS[other]))
        self.origins = frozenset(named)
        self.hosts = frozenset(o.host for o in named)

    @classmethod
    def from_sites(cls, rows: Iterable[dict]) -> NetPolicy:
        return cls(row.get(key) or "" for row in rows for key in ("portal_url", "column_url"))

    def __or__(self, other: NetPolicy) -> NetPolicy:
        return NetPolicy(self.origins | other.origins)

    def is_named(self, origin: Origin) -> bool:
        return origin in self.origins

    def is_known_host(self, host: str) -> bool:
        """A government or registry host (for the content rules: mirror, foreign links) — ports aside."""
        host = normalize_host(host)
        return is_gov_name(host) or host in self.hosts

    def refusal(self, url: str, resolve: Resolver | None = None) -> str | None:
        """None when the URL may be fetched; otherwise why not (the detail of an `off_domain` page).
        With `resolve`, a name not named exactly must resolve to public addresses only."""
        origin = origin_of(url)
        if origin is None:
            return f"{url[:200]}: not an absolute http(s) URL"
        if origin in self.origins:
            return None
        if is_numeric_host(origin.host):
            return f"{origin}: a numeric or IP-literal host that the registry does not name"
        if not is_gov_name(origin.host):
            return f"{origin}: host {origin.host} is neither .gov.cn nor in the registry"
        if origin.port != DEFAULT_PORTS[origin.scheme]:
            return f"{origin}: port {origin.port} is not the default {origin.scheme} port (only named origins may use others)"
        if resolve is not None:
            addresses = resolve(origin.host, origin.port)
            private = [a for a in addresses if not is_public_address(a)]
            if private:
                return f"{origin}: {origin.host} resolves to {', '.join(private)} (loopback/private/link-local: refused)"
        return None


def registry_policy(*paths) -> NetPolicy:
    """The project registry (crawler/sites.csv) and any extra sites files, as one policy."""
    from crawler.registry import load_sites

    rows = list(load_sites())
    for p in paths:
        if p:
            rows += load_sites(p)
    return NetPolicy.from_sites(rows)
