"""The business exception worklist: failures a person must fix (unknown SKU, tax rejection, credit hold,
an order we could not read), each with what the failing step saw. Never commits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.orders.models import BusinessException
from process_apis.orders.redaction import redact_personal_data
from process_apis.orders.repository import ExceptionRepository
from process_apis.orders.schemas import ExceptionPage, ExceptionView
from service_kit.problems import Conflict, NotFound
from service_kit.telemetry import current_trace_id

__all__ = ["UnknownException", "Worklist", "exception_view"]


class UnknownException(NotFound):
    code = "unknown_exception"


def exception_view(item: BusinessException) -> ExceptionView:
    return ExceptionView(
        id=item.id,
        kind=item.kind,
        system=item.system,
        order_id=item.order_id,
        reason=item.reason,
        status=item.status,  # type: ignore[arg-type]
        attempts=item.attempts,
        first_seen=item.first_seen,
        last_seen=item.last_seen,
        assignee=item.assignee,
        snapshot=item.snapshot,
        resolved_at=item.resolved_at,
        resolution=item.resolution,
        trace_id=item.trace_id,
    )


class Worklist:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.items = ExceptionRepository(session)

    async def record(
        self,
        *,
        tenant: str,
        kind: str,
        system: str,
        subject: str,
        reason: str,
        snapshot: dict[str, Any],
        order_id: str | None = None,
    ) -> BusinessException:
        """Open an item, or count one more sighting of the same failure (reopening it if it was resolved)."""
        now = datetime.now(UTC)
        key = f"{kind}:{subject}"
        item = await self.items.by_key(tenant, key)
        if item is None:
            item = BusinessException(
                tenant=tenant,
                dedupe_key=key,
                kind=kind,
                system=system,
                order_id=order_id,
                reason=reason,
                snapshot=redact_personal_data(snapshot),
                status="open",
                attempts=1,
                first_seen=now,
                last_seen=now,
                trace_id=current_trace_id(),
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(item)
                    await self.session.flush()
                return item
            except IntegrityError:  # recorded concurrently: count this sighting on it
                item = await self.items.by_key(tenant, key)
                assert item is not None
        item.attempts += 1
        item.last_seen = now
        item.reason, item.snapshot = reason, redact_personal_data(snapshot)
        if item.status == "resolved":
            item.status, item.resolved_at, item.resolution = "open", None, None
        await self.session.flush()
        return item

    async def settle_step(self, tenant: str, order_id: str, step: str) -> int:
        """The items a step's failures opened for the order are resolved once that step succeeds (after a retry,
        a newer version of the order, or the system coming back): nobody has to close what fixed itself."""
        settled = 0
        for item in await self.items.open_for_order(tenant, order_id):
            if item.snapshot.get("step") == step and item.dedupe_key.endswith(f":order:{order_id}"):
                item.status, item.resolved_at = "resolved", datetime.now(UTC)
                item.resolution = f"{step} succeeded"
                settled += 1
        if settled:
            await self.session.flush()
        return settled

    async def page(
        self, tenant: str, *, status: str | None, kind: str | None, order_id: str | None, cursor: str | None, limit: int
    ) -> ExceptionPage:
        before = int(cursor) if cursor and cursor.isdigit() else None
        items = await self.items.page(
            tenant, status=status, kind=kind, order_id=order_id, before_id=before, limit=limit + 1
        )
        more = len(items) > limit
        items = items[:limit]
        return ExceptionPage(
            items=[exception_view(item) for item in items], next_cursor=str(items[-1].id) if more else None
        )

    async def get(self, tenant: str, exception_id: int) -> BusinessException:
        item = await self.items.get(tenant, exception_id)
        if item is None:
            raise UnknownException(f"there is no exception {exception_id}")
        return item

    async def assign(self, tenant: str, exception_id: int, assignee: str) -> BusinessException:
        item = await self.get(tenant, exception_id)
        item.assignee = assignee
        await self.session.flush()
        return item

    async def resolve(self, tenant: str, exception_id: int, resolution: str) -> BusinessException:
        item = await self.get(tenant, exception_id)
        if item.status == "resolved":
            raise Conflict(f"exception {exception_id} is already resolved", code="exception_resolved")
        item.status, item.resolved_at, item.resolution = "resolved", datetime.now(UTC), resolution
        await self.session.flush()
        return item
