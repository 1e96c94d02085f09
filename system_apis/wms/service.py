"""WMS business rules for locations and stock counts. Never commits: the request transaction does."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Address, InventoryPosition
from canonical.events import INVENTORY_POSITION_CHANGED, EventEnvelope
from canonical.streams import WMS_EVENTS
from service_kit.events.outbox import record_event
from service_kit.problems import NotFound
from system_apis.wms.models import LocationRecord, PositionRecord, WmsOutbox
from system_apis.wms.repository import LocationRepository, PositionRepository
from system_apis.wms.schemas import Location, LocationWrite, PositionCount

__all__ = ["InventoryService", "LocationService", "UnknownLocation"]

_STATES = ("on_hand", "committed", "reserved", "damaged", "quality_control", "safety_stock", "in_transit")


class UnknownLocation(NotFound):
    code = "unknown_location"


class LocationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.locations = LocationRepository(session)

    async def list_locations(self, tenant: str) -> list[Location]:
        return [_location(r) for r in await self.locations.list(tenant)]

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
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        return _location(record), created


class InventoryService:
    """Stock by state per SKU and location; every change is announced as ``inventory.position.changed``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.positions = PositionRepository(session)
        self.locations = LocationRepository(session)

    async def find_positions(
        self, tenant: str, *, sku: str | None, location: str | None, limit: int
    ) -> list[InventoryPosition]:
        return [_position(r) for r in await self.positions.find(tenant, sku=sku, location=location, limit=limit)]

    async def record_count(
        self, tenant: str, location: str, sku: str, count: PositionCount
    ) -> tuple[InventoryPosition, bool]:
        """Set a position to a counted state; returns it and whether it changed."""
        if await self.locations.get(tenant, location) is None:
            raise UnknownLocation(f"location '{location}' does not exist")
        record = await self.positions.get(tenant, location, sku, for_update=True)
        counted = {state: getattr(count, state) for state in _STATES}
        now = datetime.now(UTC)
        if record is None:
            record = PositionRecord(
                tenant=tenant, location_code=location, sku=sku, version=1, updated_at=now, **counted
            )
            self.positions.add(record)
        elif any(getattr(record, state) != value for state, value in counted.items()):
            for state, value in counted.items():
                setattr(record, state, value)
            record.version += 1
            record.updated_at = now
        else:
            return _position(record), False
        record.last_reason = count.reason
        await self.session.flush()
        position = _position(record)
        record_event(
            self.session,
            WmsOutbox,
            stream=WMS_EVENTS,
            envelope=EventEnvelope.new(
                type=INVENTORY_POSITION_CHANGED,
                tenant=tenant,
                aggregate_type="inventory_position",
                aggregate_id=f"{location}/{sku}",
                sequence=record.version,
                payload=position,
            ),
        )
        return position, True


def _location(record: LocationRecord) -> Location:
    return Location(
        tenant=record.tenant,
        code=record.code,
        name=record.name,
        kind=record.kind,  # type: ignore[arg-type]
        address=msgspec.convert(record.address, Address),
        ships_to_regions=list(record.ships_to_regions),
        active=record.active,
    )


def _position(record: PositionRecord) -> InventoryPosition:
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
