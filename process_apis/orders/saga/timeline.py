"""The order's timeline: one entry per step, event or decision, with the system, outcome and trace behind it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.orders.models import OrderRecord, OrderStep
from service_kit.telemetry import current_trace_id

__all__ = ["record_step"]


def record_step(
    session: AsyncSession,
    order: OrderRecord,
    step: str,
    system: str,
    outcome: str,
    to_state: str,
    detail: dict[str, Any],
    *,
    from_state: str | None = None,
    attempt: int = 1,
    at: datetime | None = None,
) -> None:
    """Add an entry for ``order`` (``from_state`` defaults to where it stands now) in the current trace."""
    session.add(
        OrderStep(
            order_pk=order.id,
            at=at or datetime.now(UTC),
            step=step,
            system=system,
            outcome=outcome,
            from_state=from_state or order.state,
            to_state=to_state,
            attempt=attempt,
            trace_id=current_trace_id(),
            detail=detail,
        )
    )
