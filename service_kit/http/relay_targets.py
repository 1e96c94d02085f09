"""The URL of a request relayed as it came: an upstream's base URL with the caller's path and query on it.

httpx parses and validates every URL it is given (about 14 µs, ~5% of a proxied call's CPU in the gateway, most of
it re-checking the upstream's host and port, which never change). A relayed target was already percent-encoded by
the relay, so its path and query are put on the base URL's parsed form as they are, whenever httpx itself would
have left them unchanged; anything else is left to httpx's own parser.
"""

from __future__ import annotations

import re

import httpx

__all__ = ["relayed_url"]

_AS_HTTPX_KEEPS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:/?\[\]@]|%[0-9A-Fa-f]{2})*")
"""A path and query httpx would keep byte for byte: unreserved characters, sub-delimiters, ``: / ? [ ] @`` and
valid percent-escapes (RFC 3986 §3.3, §3.4). A ``#``, a bare ``%`` or anything else goes through httpx's parser."""
_URL_LENGTH_LIMIT = 65_536
"""httpx refuses longer URLs (``InvalidURL``); such a target is left to it to refuse."""


def relayed_url(base: httpx.URL, target: str) -> httpx.URL:
    """``base`` with ``target`` (``/path?query``, already encoded) after its path; equal to
    ``httpx.URL(str(base).rstrip("/") + target)``."""
    parsed = getattr(base, "_uri_reference", None)  # httpx's parsed form; should it ever go, every URL is parsed
    if (
        parsed is None
        or parsed.path not in ("", "/")
        or parsed.query is not None
        or not target.startswith("/")
        or "/." in target  # a dot segment, which httpx resolves (RFC 3986 §5.2.4)
        or len(target) >= _URL_LENGTH_LIMIT
        or _AS_HTTPX_KEEPS.fullmatch(target) is None
    ):
        return httpx.URL(str(base).rstrip("/") + target)
    path, mark, query = target.partition("?")
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = parsed._replace(path=path, query=query if mark else None)
    return url
