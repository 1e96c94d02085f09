"""Transactional outbox: an event is written in the same transaction as the state change it announces.

The relay (:mod:`service_kit.events.relay`) publishes committed rows to the bus afterwards, so an event
is never published for a change that rolled back, and never lost for one that committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from canonical.events import EventEnvelope, encode_envelope
from service_kit.telemetry import current_trace_id

__all__ = ["OutboxMixin", "record_event"]


class OutboxMixin:
    """Columns of a service's outbox table; the service declares the table on its own metadata."""

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    stream: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100))
    tenant: Mapped[str] = mapped_column(String(63))
    aggregate_id: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True, default=None)


def record_event(
    session: AsyncSession, outbox: type[OutboxMixin], *, stream: str, envelope: EventEnvelope
) -> EventEnvelope:
    """Add the event to the session's transaction, stamped with the current trace if it has none."""
    if envelope.trace_id is None and (trace_id := current_trace_id()) is not None:
        envelope = msgspec.structs.replace(envelope, trace_id=trace_id)
    record_type: Any = outbox
    session.add(
        record_type(
            event_id=str(envelope.event_id),
            stream=stream,
            event_type=envelope.type,
            tenant=envelope.tenant,
            aggregate_id=envelope.aggregate_id,
            sequence=envelope.sequence,
            occurred_at=envelope.occurred_at,
            envelope=encode_envelope(envelope),
        )
    )
    return envelope
