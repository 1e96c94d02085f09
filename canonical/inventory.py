"""Stock of one SKU at one location, by state, the way Shopify and ERPs count it.

``on_hand`` is every unit physically there: available + committed + reserved + damaged +
quality_control + safety_stock (Shopify's definition). ``in_transit`` (Shopify's "incoming") is not
on hand yet and never counts towards what can be sold.
"""

from typing import Annotated, Literal

import msgspec

from canonical.catalog import Sku
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = ["AvailabilityCause", "AvailabilityChange", "InventoryPosition", "Units", "compute_available_to_sell"]

Units = Annotated[int, msgspec.Meta(ge=0)]


def compute_available_to_sell(
    *,
    on_hand: int,
    committed: int = 0,
    reserved: int = 0,
    damaged: int = 0,
    quality_control: int = 0,
    safety_stock: int = 0,
    extra_reserved: int = 0,
) -> int:
    """What can still be promised: on hand less every claimed or unsellable unit, never below zero.

    An oversold location shows 0, not a negative that would cancel out stock elsewhere in a total.
    ``extra_reserved`` is for holds the WMS does not know yet (a process's open reservations).
    Negative counts are refused: a negative claim would inflate what is sold.
    """
    claims = {
        "committed": committed,
        "reserved": reserved,
        "damaged": damaged,
        "quality_control": quality_control,
        "safety_stock": safety_stock,
        "extra_reserved": extra_reserved,
    }
    for name, units in {"on_hand": on_hand, **claims}.items():
        if units < 0:
            raise ValueError(f"{name} must not be negative, got {units}")
    return max(0, on_hand - sum(claims.values()))


class InventoryPosition(msgspec.Struct, kw_only=True, frozen=True):
    """Units of one SKU at one location by state. available_to_sell is on_hand less committed, reserved,
    damaged, quality_control and safety_stock (and any holds not yet reported), never below zero."""

    tenant: TenantId
    sku: Sku
    location_id: str
    on_hand: Units
    available_to_sell: Units
    updated_at: Timestamp
    committed: Units = 0
    """Units of orders already released to the location."""
    reserved: Units = 0
    """Units held for orders not yet released, or for other purposes."""
    damaged: Units = 0
    quality_control: Units = 0
    safety_stock: Units = 0
    in_transit: Units = 0
    """Incoming units: not on hand, not sellable."""

    def __post_init__(self) -> None:
        if self.available_to_sell > self.on_hand:
            raise ValueError(f"available_to_sell {self.available_to_sell} exceeds on_hand {self.on_hand}")

    @classmethod
    def from_states(
        cls,
        *,
        tenant: str,
        sku: str,
        location_id: str,
        on_hand: int,
        updated_at: Timestamp,
        committed: int = 0,
        reserved: int = 0,
        damaged: int = 0,
        quality_control: int = 0,
        safety_stock: int = 0,
        in_transit: int = 0,
        extra_reserved: int = 0,
    ) -> "InventoryPosition":
        """A position whose ``available_to_sell`` is :func:`compute_available_to_sell` of its states.

        ``extra_reserved`` lowers what is sellable without being reported as ``reserved``.
        """
        if in_transit < 0:
            raise ValueError(f"in_transit must not be negative, got {in_transit}")
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
                extra_reserved=extra_reserved,
            ),
        )

    def with_available_to_sell(self, units: int) -> "InventoryPosition":
        """The same position with a sellable quantity decided elsewhere (e.g. 0 for an inactive item)."""
        if units < 0:
            raise ValueError(f"available_to_sell must not be negative, got {units}")
        return msgspec.structs.replace(self, available_to_sell=units)


AvailabilityCause = Literal["reserved", "released", "shipped", "cancelled"]


class AvailabilityChange(msgspec.Struct, kw_only=True, frozen=True):
    """A SKU's available-to-sell after the order process held, released, shipped or freed units of it."""

    tenant: TenantId
    sku: Sku
    available_to_sell: Units
    """Across every location, as ``GET /inventory/v1/availability`` now answers."""
    cause: AvailabilityCause
    order_id: str
    changed_at: Timestamp
