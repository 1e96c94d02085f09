"""Recording a return's progress: each transition on its timeline (by which system, with which trace), a new
version, and a ``return.status.changed`` event in the same transaction, so the order's timeline and the
customer's status follow. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical.events import EventEnvelope
from canonical.returns import (
    RETURN_EXCEPTION_RAISED,
    RETURN_STATUS_CHANGED,
    RefundBreakdown,
    ReturnException,
    ReturnLineView,
    ReturnStatus,
    ReturnStepView,
    ReturnView,
)
from canonical.streams import RETURNS_EVENTS
from process_apis.returns.models import ReturnLineRecord, ReturnRecord, ReturnsOutbox, ReturnStep
from process_apis.returns.states import ACTIONABLE, check_transition
from service_kit.events.outbox import record_event
from service_kit.telemetry import current_trace_id

__all__ = ["lines_of", "move", "note", "raise_exception", "return_view", "trace_of"]


def note(
    session: AsyncSession, record: ReturnRecord, step: str, system: str, outcome: str, detail: dict[str, Any]
) -> None:
    """A timeline entry that does not change the state (a retry, an ignored event)."""
    _step(session, record, step, system, outcome, record.state, detail)


async def move(
    session: AsyncSession,
    record: ReturnRecord,
    target: ReturnStatus,
    *,
    step: str,
    system: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Into ``target``: on the timeline, a new version, the next step due now if the worker has one, announced."""
    check_transition(record.state, target)  # type: ignore[arg-type]
    _step(session, record, step, system, "done", target, detail or {})
    now = datetime.now(UTC)
    record.state = target
    record.version += 1
    record.attempts, record.last_error, record.lease_until = 0, None, None
    record.next_attempt_at = now if target in ACTIONABLE else None
    record.updated_at = now
    await session.flush()
    view = await return_view(session, record, with_steps=False)
    record_event(
        session,
        ReturnsOutbox,
        stream=RETURNS_EVENTS,
        envelope=EventEnvelope.new(
            type=RETURN_STATUS_CHANGED,
            tenant=record.tenant,
            aggregate_type="return",
            aggregate_id=record.return_id,
            sequence=record.version,
            payload=view,
            correlation_id=record.order_id,
        ),
    )


def raise_exception(
    session: AsyncSession, record: ReturnRecord, kind: str, system: str, reason: str, **snapshot: Any
) -> None:
    """Put the return on the order's worklist (the order process records it from ``returns.events``)."""
    record_event(
        session,
        ReturnsOutbox,
        stream=RETURNS_EVENTS,
        envelope=EventEnvelope.new(
            type=RETURN_EXCEPTION_RAISED,
            tenant=record.tenant,
            aggregate_type="return",
            aggregate_id=record.return_id,
            sequence=record.version,
            payload=ReturnException(
                return_id=record.return_id,
                order_id=record.order_id,
                kind=kind,
                system=system,
                reason=reason,
                snapshot=snapshot,
            ),
            correlation_id=record.order_id,
        ),
    )


def _step(
    session: AsyncSession,
    record: ReturnRecord,
    step: str,
    system: str,
    outcome: str,
    to_state: str,
    detail: dict[str, Any],
) -> None:
    session.add(
        ReturnStep(
            return_pk=record.id,
            at=datetime.now(UTC),
            step=step,
            system=system,
            outcome=outcome,
            from_state=record.state,
            to_state=to_state,
            attempt=record.attempts + 1,
            trace_id=current_trace_id(),
            detail=detail,
        )
    )


async def trace_of(session: AsyncSession, return_pk: int) -> str | None:
    """The trace of the latest request or event that moved the return: the steps it causes continue it."""
    query = (
        select(ReturnStep.trace_id)
        .where(ReturnStep.return_pk == return_pk, ReturnStep.trace_id.is_not(None))
        .order_by(ReturnStep.id.desc())
        .limit(1)
    )
    trace_id: str | None = await session.scalar(query)
    return trace_id


async def lines_of(session: AsyncSession, record: ReturnRecord) -> Sequence[ReturnLineRecord]:
    query = select(ReturnLineRecord).where(ReturnLineRecord.return_pk == record.id).order_by(ReturnLineRecord.id)
    return (await session.scalars(query)).all()


async def return_view(session: AsyncSession, record: ReturnRecord, *, with_steps: bool = True) -> ReturnView:
    steps: Sequence[ReturnStep] = ()
    if with_steps:
        query = select(ReturnStep).where(ReturnStep.return_pk == record.id).order_by(ReturnStep.id)
        steps = (await session.scalars(query)).all()
    return ReturnView(
        return_id=record.return_id,
        tenant=record.tenant,
        order_id=record.order_id,
        source=record.source,  # type: ignore[arg-type]
        status=record.state,  # type: ignore[arg-type]
        version=record.version,
        currency=record.currency,
        lines=[
            ReturnLineView(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,  # type: ignore[arg-type]
                received=line.received,
                resellable=line.resellable,
                damaged=line.damaged,
            )
            for line in await lines_of(session, record)
        ],
        created_at=record.created_at,
        updated_at=record.updated_at,
        receiving_location=record.receiving_location,
        refund=msgspec.convert(record.refund, RefundBreakdown) if record.refund else None,
        results=dict(record.results),
        rejection=record.rejection,
        hold_reason=record.hold_reason,
        last_error=record.last_error,
        received_at=record.received_at,
        refunded_at=record.refunded_at,
        steps=[
            ReturnStepView(
                at=step.at,
                step=step.step,
                system=step.system,
                outcome=step.outcome,
                from_state=step.from_state,  # type: ignore[arg-type]
                to_state=step.to_state,  # type: ignore[arg-type]
                attempt=step.attempt,
                trace_id=step.trace_id,
                detail=step.detail,
            )
            for step in steps
        ],
    )
