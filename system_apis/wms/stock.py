"""The one place stock moves: every change of a position goes through :meth:`StockLedger.move`, which locks
the position, refuses a negative state (409), writes the ledger entry with its reason and announces the
new position as ``inventory.position.changed``. Never commits: the request transaction does.

Definitions (the same as Shopify's and :mod:`canonical.inventory`):

* ``on_hand`` counts every unit physically at the location, including damaged and quality-control units.
* ``available`` (``available_to_sell``) = on_hand - committed - reserved - damaged - quality_control -
  safety_stock, never below 0.
* ``pickable`` = on_hand - committed - reserved - damaged - quality_control: units nobody has claimed. Safety
  stock is a selling buffer, not a physical hold, so a released order or a transfer may use it. A move that
  claims units (commit, transfer out, shrinkage, damage, quality hold) may not take more than are pickable;
  a count (``cycle_count``, ``correction``, ``initial_load``) records what is there and only has to keep
  every state at 0 or above.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import InventoryPosition, StockAdjustment, StockDeltas
from canonical.events import INVENTORY_POSITION_CHANGED, EventEnvelope
from canonical.streams import WMS_EVENTS
from service_kit.events.outbox import record_event
from system_apis.wms.errors import InsufficientStock, InvalidField, UnknownLocation
from system_apis.wms.models import POSITION_STATES, AdjustmentRecord, PositionRecord, WmsOutbox
from system_apis.wms.repository import AdjustmentRepository, LocationRepository, PositionRepository

__all__ = ["COUNT_REASONS", "StockLedger", "adjustment_view", "pickable", "position_view"]

COUNT_REASONS = frozenset({"cycle_count", "correction", "initial_load"})
"""Reasons that record what is physically there, so they may leave claims above on_hand (an oversold node)."""


def pickable(record: PositionRecord) -> int:
    return record.on_hand - record.committed - record.reserved - record.damaged - record.quality_control


class StockLedger:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.positions = PositionRepository(session)
        self.locations = LocationRepository(session)
        self.adjustments = AdjustmentRepository(session)

    async def require_location(self, tenant: str, code: str, *, field: str | None = None) -> None:
        """404 for a location named in the path; 422 naming ``field`` for one named in a body."""
        if await self.locations.get(tenant, code) is None:
            if field is not None:
                raise InvalidField(field, f"location '{code}' does not exist", code="unknown_location")
            raise UnknownLocation(f"location '{code}' does not exist")

    async def move(
        self,
        tenant: str,
        location: str,
        sku: str,
        deltas: StockDeltas,
        *,
        reason: str,
        quantity: int,
        reference: str | None = None,
        note: str | None = None,
        now: datetime | None = None,
        is_count: bool = False,
    ) -> tuple[InventoryPosition, StockAdjustment]:
        """Apply ``deltas`` to the position (created at zero if new); returns it and its ledger entry.

        ``is_count`` (or a count reason) records what is physically there: no pickable check."""
        now = now or datetime.now(UTC)
        record = await self.positions.get(tenant, location, sku, for_update=True)
        if record is None:
            record = PositionRecord(tenant=tenant, location_code=location, sku=sku, version=0, updated_at=now)
            for state in POSITION_STATES:
                setattr(record, state, 0)
            self.positions.add(record)
        before = pickable(record)
        changes = msgspec.structs.asdict(deltas)
        for state in POSITION_STATES:
            value = getattr(record, state) + changes[state]
            if value < 0:
                raise InsufficientStock(
                    f"{reason} of {sku} at {location} would leave {state} at {value}; it has {getattr(record, state)}",
                    extra={"location_id": location, "sku": sku, "state": state, "units": getattr(record, state)},
                )
        after = (
            before
            + changes["on_hand"]
            - sum(changes[s] for s in ("committed", "reserved", "damaged", "quality_control"))
        )
        if after < before and after < 0 and not is_count and reason not in COUNT_REASONS:
            raise InsufficientStock(
                f"{reason} of {sku} at {location} needs {before - after} pickable units; {max(before, 0)} are "
                "(on hand less committed, reserved, damaged and quality control)",
                extra={"location_id": location, "sku": sku, "state": "pickable", "units": max(before, 0)},
            )
        for state in POSITION_STATES:
            setattr(record, state, getattr(record, state) + changes[state])
        record.version += 1
        record.updated_at = now
        record.last_reason = reason
        entry = AdjustmentRecord(
            tenant=tenant,
            location_code=location,
            sku=sku,
            reason=reason,
            quantity=quantity,
            deltas={k: v for k, v in changes.items() if v},
            reference=reference,
            note=note,
            recorded_at=now,
        )
        self.adjustments.add(entry)
        await self.session.flush()
        position = position_view(record)
        self.announce(record, position)
        return position, adjustment_view(entry)

    def announce(self, record: PositionRecord, position: InventoryPosition) -> None:
        record_event(
            self.session,
            WmsOutbox,
            stream=WMS_EVENTS,
            envelope=EventEnvelope.new(
                type=INVENTORY_POSITION_CHANGED,
                tenant=record.tenant,
                aggregate_type="inventory_position",
                aggregate_id=f"{record.location_code}/{record.sku}",
                sequence=record.version,
                payload=position,
            ),
        )


def position_view(record: PositionRecord) -> InventoryPosition:
    updated_at = record.updated_at if record.updated_at.tzinfo else record.updated_at.replace(tzinfo=UTC)
    return InventoryPosition.from_states(
        tenant=record.tenant,
        sku=record.sku,
        location_id=record.location_code,
        on_hand=record.on_hand,
        committed=record.committed,
        reserved=record.reserved,
        damaged=record.damaged,
        quality_control=record.quality_control,
        safety_stock=record.safety_stock,
        in_transit=record.in_transit,
        updated_at=updated_at,
    )


def adjustment_view(record: AdjustmentRecord) -> StockAdjustment:
    return StockAdjustment(
        id=record.id,
        tenant=record.tenant,
        location_id=record.location_code,
        sku=record.sku,
        reason=record.reason,  # type: ignore[arg-type]
        quantity=record.quantity,
        deltas=msgspec.convert(record.deltas, StockDeltas),
        recorded_at=record.recorded_at,
        reference=record.reference,
        note=record.note,
    )
