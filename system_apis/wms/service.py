"""WMS business rules for locations, counts, adjustments and cycle counts. Never commits: the request
transaction does."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Address, InventoryPosition, StockAdjustment, StockDeltas
from system_apis.wms.errors import InvalidField, UnknownLocation, UnknownResource
from system_apis.wms.models import POSITION_STATES, LocationRecord
from system_apis.wms.repository import AdjustmentRepository, LocationRepository, PositionRepository
from system_apis.wms.schemas import (
    AdjustmentCreate,
    CycleCountCreate,
    CycleCountResult,
    Location,
    LocationWrite,
    PositionCount,
)
from system_apis.wms.stock import StockLedger, adjustment_view, position_view

__all__ = ["REASON_EFFECTS", "AdjustmentService", "InventoryService", "LocationService", "UnknownLocation"]

REASON_EFFECTS: dict[str, dict[str, int]] = {
    "received": {"on_hand": 1},
    "found": {"on_hand": 1},
    "return_restock": {"on_hand": 1},
    "shrinkage": {"on_hand": -1},
    "damaged": {"damaged": 1},
    "damage_disposal": {"damaged": -1, "on_hand": -1},
    "quality_hold": {"quality_control": 1},
    "quality_release": {"quality_control": -1},
    "cycle_count": {"on_hand": 1},
    "correction": {"on_hand": 1},
}
"""What one unit of each adjustment reason does to a position (multiplied by the quantity)."""
SIGNED_REASONS = frozenset({"cycle_count", "correction"})
_COUNT_REASONS = {"receipt": "received", "adjustment": "correction"}
"""``PUT /inventory-positions`` reasons as ledger reasons (the others are the same word)."""


class LocationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.locations = LocationRepository(session)

    async def list_locations(
        self, tenant: str, *, kind: str | None = None, operator: str | None = None
    ) -> list[Location]:
        return [_location(r) for r in await self.locations.list(tenant, kind=kind, operator=operator)]

    async def get_location(self, tenant: str, code: str) -> Location:
        record = await self.locations.get(tenant, code)
        if record is None:
            raise UnknownLocation(f"location '{code}' does not exist")
        return _location(record)

    async def upsert_location(self, tenant: str, code: str, change: LocationWrite) -> tuple[Location, bool]:
        record = await self.locations.get(tenant, code, for_update=True)
        created = record is None
        if record is None:
            record = LocationRecord(tenant=tenant, code=code)
            self.locations.add(record)
        record.name = change.name
        record.kind = change.kind
        record.address = msgspec.to_builtins(change.address)
        record.ships_to_regions = list(change.ships_to_regions)
        record.active = change.active
        record.operator = change.operator
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        return _location(record), created


class InventoryService:
    """Stock by state per SKU and location; every change is announced as ``inventory.position.changed``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.positions = PositionRepository(session)
        self.ledger = StockLedger(session)

    async def find_positions(
        self, tenant: str, *, sku: str | None, location: str | None, limit: int
    ) -> list[InventoryPosition]:
        return [position_view(r) for r in await self.positions.find(tenant, sku=sku, location=location, limit=limit)]

    async def record_count(
        self, tenant: str, location: str, sku: str, count: PositionCount
    ) -> tuple[InventoryPosition, bool]:
        """Set a position to a counted state; returns it and whether it changed (a ledger entry if so)."""
        await self.ledger.require_location(tenant, location)
        record = await self.positions.get(tenant, location, sku, for_update=True)
        current = {state: getattr(record, state) if record is not None else 0 for state in POSITION_STATES}
        changes = {state: getattr(count, state) - current[state] for state in POSITION_STATES}
        if record is not None and not any(changes.values()):
            return position_view(record), False
        reason = _COUNT_REASONS.get(count.reason, count.reason)
        position, _entry = await self.ledger.move(
            tenant, location, sku, StockDeltas(**changes), reason=reason, quantity=changes["on_hand"], is_count=True
        )
        return position, True


class AdjustmentService:
    """The stock ledger: adjustments with a reason, and cycle counts that become adjustments."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.positions = PositionRepository(session)
        self.adjustments = AdjustmentRepository(session)
        self.ledger = StockLedger(session)

    async def adjust(self, tenant: str, adjustment: AdjustmentCreate) -> StockAdjustment:
        if adjustment.quantity == 0:
            raise InvalidField("quantity", "must not be 0")
        if adjustment.reason not in SIGNED_REASONS and adjustment.quantity < 0:
            raise InvalidField(
                "quantity", f"must be positive for reason '{adjustment.reason}' (the reason gives the direction)"
            )
        await self.ledger.require_location(tenant, adjustment.location_id, field="location_id")
        effect = REASON_EFFECTS[adjustment.reason]
        deltas = StockDeltas(**{state: units * adjustment.quantity for state, units in effect.items()})
        _position, entry = await self.ledger.move(
            tenant,
            adjustment.location_id,
            adjustment.sku,
            deltas,
            reason=adjustment.reason,
            quantity=adjustment.quantity,
            reference=adjustment.reference,
            note=adjustment.note,
        )
        return entry

    async def cycle_count(self, tenant: str, count: CycleCountCreate) -> CycleCountResult:
        await self.ledger.require_location(tenant, count.location_id, field="location_id")
        record = await self.positions.get(tenant, count.location_id, count.sku, for_update=True)
        previous = record.on_hand if record is not None else 0
        difference = count.counted_quantity - previous
        if difference == 0 and record is not None:
            return CycleCountResult(
                location_id=count.location_id,
                sku=count.sku,
                previous_on_hand=previous,
                counted_quantity=count.counted_quantity,
                position=position_view(record),
                adjustment=None,
            )
        position, entry = await self.ledger.move(
            tenant,
            count.location_id,
            count.sku,
            StockDeltas(on_hand=difference),
            reason="cycle_count",
            quantity=difference,
            reference=count.reference,
            note=count.note,
        )
        return CycleCountResult(
            location_id=count.location_id,
            sku=count.sku,
            previous_on_hand=previous,
            counted_quantity=count.counted_quantity,
            position=position,
            adjustment=entry,
        )

    async def get(self, tenant: str, entry_id: int) -> StockAdjustment:
        record = await self.adjustments.get(tenant, entry_id)
        if record is None:
            raise UnknownResource(f"adjustment {entry_id} does not exist", code="unknown_adjustment")
        return adjustment_view(record)

    async def ledger_entries(
        self,
        tenant: str,
        *,
        sku: str | None,
        location: str | None,
        reason: str | None,
        reference: str | None,
        since: datetime | None,
        after_id: int | None,
        limit: int,
    ) -> list[StockAdjustment]:
        records = await self.adjustments.find(
            tenant,
            sku=sku,
            location=location,
            reason=reason,
            reference=reference,
            since=since,
            after_id=after_id,
            limit=limit,
        )
        return [adjustment_view(r) for r in records]


def _location(record: LocationRecord) -> Location:
    return Location(
        tenant=record.tenant,
        code=record.code,
        name=record.name,
        kind=record.kind,  # type: ignore[arg-type]
        address=msgspec.convert(record.address, Address),
        ships_to_regions=list(record.ships_to_regions),
        active=record.active,
        operator=record.operator,
    )
