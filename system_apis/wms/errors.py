"""The WMS's business problems, each with its status and machine-readable code."""

from __future__ import annotations

from service_kit.problems import Conflict, NotFound, Problem

__all__ = [
    "InsufficientStock",
    "InvalidField",
    "InvalidTransition",
    "UnknownFulfillmentRequest",
    "UnknownLocation",
    "UnknownResource",
]


class UnknownLocation(NotFound):
    code = "unknown_location"


class UnknownResource(NotFound):
    code = "not_found"


class UnknownFulfillmentRequest(NotFound):
    code = "unknown_fulfillment_request"


class InsufficientStock(Conflict):
    """The change would take a state of a position below zero, or claim more units than are pickable."""

    code = "insufficient_stock"


class InvalidTransition(Conflict):
    """The resource is not in a status that allows this (e.g. cancel after pick)."""

    code = "invalid_transition"


class InvalidField(Problem):
    """Well-formed input that cannot be applied as it is; ``errors`` names the field."""

    status = 422
    code = "invalid_field"
    title_text = "Unprocessable content"

    def __init__(self, field: str, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(
            f"Invalid body '{field}': {message}",
            code=code,
            status=status,
            extra={"errors": [{"field": field, "source": "body", "message": message}]},
        )
