"""Available-to-sell, computed one way for every caller. Never commits."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from canonical import InventoryPosition
from process_apis.inventory.repository import AvailabilityRepository
from process_apis.inventory.schemas import SkuAvailability
from service_kit.problems import NotFound

__all__ = ["AvailabilityService", "UnknownSku"]


class UnknownSku(NotFound):
    code = "unknown_sku"


class AvailabilityService:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = AvailabilityRepository(session)

    async def availability(self, tenant: str, sku: str) -> SkuAvailability:
        """ATS per location = WMS available (on hand less committed, reserved, damaged, QC and safety
        stock) less this process's holds, never below zero; zero everywhere if inactive.

        Open holds are unknown to the WMS and come on top of its ``reserved``. Released holds are units the
        WMS commits once its event arrives, so a location counts ``max(committed, released)``: right before
        and after the WMS reports the commitment, never twice. (This assumes this process is what releases
        orders to the WMS; commitments from elsewhere still count once the WMS reports them.)
        """
        entry = await self.repository.catalog_entry(tenant, sku)
        records = await self.repository.positions(tenant, sku)
        if entry is None and not records:
            raise UnknownSku(f"SKU '{sku}' is not in the item master", extra={"sku": sku})
        sellable = entry is None or entry.active
        holds = await self.repository.holds_by_location(tenant, sku)
        positions = []
        for record in records:
            open_held, released_held = holds.get(record.location_id, (0, 0))
            updated_at = record.updated_at if record.updated_at.tzinfo else record.updated_at.replace(tzinfo=UTC)
            position = InventoryPosition.from_states(
                tenant=tenant,
                sku=sku,
                location_id=record.location_id,
                on_hand=record.on_hand,
                committed=max(record.committed, released_held),
                reserved=record.reserved + open_held,
                damaged=record.damaged,
                quality_control=record.quality_control,
                safety_stock=record.safety_stock,
                in_transit=record.in_transit,
                updated_at=updated_at,
            )
            if not sellable:
                position = position.with_available_to_sell(0)
            positions.append(position)
        return SkuAvailability(
            tenant=tenant,
            sku=sku,
            title=entry.title if entry is not None else None,
            active=sellable,
            available_to_sell=sum(p.available_to_sell for p in positions),
            on_hand=sum(p.on_hand for p in positions),
            positions=positions,
        )
