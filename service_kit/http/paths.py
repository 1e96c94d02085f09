"""Paths of another service's resources, with each identifier percent-encoded as one path segment.

An id taken from a caller (``a/b``, ``x?y``) must never change which resource or query a call reaches.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["resource_path"]


def resource_path(template: str, *segments: object) -> str:
    """``resource_path("/orders/v1/orders/{}/timeline", "a/b")`` is ``/orders/v1/orders/a%2Fb/timeline``."""
    return template.format(*(quote(str(segment), safe="") for segment in segments))
