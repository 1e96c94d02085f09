"""Consumer inbox: an event's effects and the record that it was processed commit together.

Delivery is at least once, so a consumer first claims ``(event_id, consumer)`` in its own inbox table in
the same transaction as its effects; a redelivered event finds the row and is skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from canonical.events import EventEnvelope

__all__ = ["InboxMixin", "claim_event"]


class InboxMixin:
    """Columns of a service's inbox table; the service declares the table on its own metadata."""

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def claim_event(
    session: AsyncSession, inbox: type[InboxMixin], envelope: EventEnvelope, *, consumer: str
) -> bool:
    """True the first time this consumer sees the event, False on every redelivery."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(inbox)
        .values(
            event_id=str(envelope.event_id),
            consumer=consumer,
            event_type=envelope.type,
            processed_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
