"""Timestamps that carry their offset, so services in different zones never misread each other."""

from datetime import datetime
from typing import Annotated

import msgspec

__all__ = ["Timestamp"]

Timestamp = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="RFC 3339 date-time with an offset (producers send UTC, 'Z')"),
]
