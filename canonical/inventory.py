"""Stock of one SKU at one location, by state, the way Shopify and ERPs count it.

``on_hand`` is every unit physically there: available + committed + reserved + damaged +
quality_control + safety_stock. ``in_transit`` (incoming) is not on hand yet.
"""

from datetime import datetime
from typing import Annotated

import msgspec

from canonical.catalog import Sku
from canonical.tenancy import TenantId

__all__ = ["InventoryPosition", "Units", "compute_available_to_sell"]

Units = Annotated[int, msgspec.Meta(ge=0)]


def compute_available_to_sell(
    *,
    on_hand: int,
    committed: int = 0,
    reserved: int = 0,
    damaged: int = 0,
    quality_control: int = 0,
    safety_stock: int = 0,
) -> int:
    """What can still be promised: on hand less every claimed or unsellable unit, never below zero
    (an oversold location shows 0, not a negative that would cancel stock elsewhere in a total)."""
    return max(0, on_hand - committed - reserved - damaged - quality_control - safety_stock)


class InventoryPosition(msgspec.Struct, kw_only=True, frozen=True):
    tenant: TenantId
    sku: Sku
    location_id: str
    on_hand: Units
    available_to_sell: Units
    updated_at: datetime
    committed: Units = 0
    """Units of orders already released to the location."""
    reserved: Units = 0
    """Units held for orders not yet released."""
    damaged: Units = 0
    quality_control: Units = 0
    safety_stock: Units = 0
    in_transit: Units = 0

    @classmethod
    def from_states(
        cls,
        *,
        tenant: str,
        sku: str,
        location_id: str,
        on_hand: int,
        updated_at: datetime,
        committed: int = 0,
        reserved: int = 0,
        damaged: int = 0,
        quality_control: int = 0,
        safety_stock: int = 0,
        in_transit: int = 0,
    ) -> "InventoryPosition":
        """Build a position whose ``available_to_sell`` is computed from its states, one way everywhere."""
        return cls(
            tenant=tenant,
            sku=sku,
            location_id=location_id,
            on_hand=on_hand,
            committed=committed,
            reserved=reserved,
            damaged=damaged,
            quality_control=quality_control,
            safety_stock=safety_stock,
            in_transit=in_transit,
            updated_at=updated_at,
            available_to_sell=compute_available_to_sell(
                on_hand=on_hand,
                committed=committed,
                reserved=reserved,
                damaged=damaged,
                quality_control=quality_control,
                safety_stock=safety_stock,
            ),
        )

    def with_available_to_sell(self, units: int) -> "InventoryPosition":
        return msgspec.structs.replace(self, available_to_sell=units)
