"""OpenAPI declarations shared by every service's routes."""

from __future__ import annotations

from litestar.openapi import ResponseSpec

__all__ = ["created_response"]


def created_response(model: type) -> ResponseSpec:
    """The ``201`` a create-or-replace ``PUT`` answers when the resource did not exist yet (``200`` otherwise)."""
    return ResponseSpec(data_container=model, description="Created: the resource did not exist before")
