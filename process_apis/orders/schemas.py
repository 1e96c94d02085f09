"""The order process's DTOs: shared with the service portal, so they live in :mod:`canonical.worklist`."""

from canonical.worklist import (
    ExceptionAssignment,
    ExceptionPage,
    ExceptionResolution,
    ExceptionStatus,
    ExceptionView,
    OrderLineView,
    OrderTimeline,
    OrderView,
    TimelineEntry,
)

__all__ = [
    "ExceptionAssignment",
    "ExceptionPage",
    "ExceptionResolution",
    "ExceptionStatus",
    "ExceptionView",
    "OrderLineView",
    "OrderTimeline",
    "OrderView",
    "TimelineEntry",
]
