"""Keeps this process's copy of WMS positions and the ERP item master current from their events.

Events arrive at least once and, across consumers, possibly out of order: each row remembers the
sequence of the event it reflects and ignores anything older.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from canonical import InventoryPosition, ProductCatalogItem
from canonical.events import CATALOG_ITEM_UPSERTED, INVENTORY_POSITION_CHANGED, EventEnvelope
from canonical.streams import ERP_EVENTS, WMS_EVENTS
from process_apis.inventory.models import CatalogEntry, InventoryInbox, StockPosition
from process_apis.inventory.repository import AvailabilityRepository
from service_kit.database import Database
from service_kit.events.consumer import Subscription
from service_kit.events.inbox import claim_event

__all__ = ["apply_item_upserted", "apply_position_changed", "subscriptions"]

CONSUMER = "inventory"
_STATES = ("on_hand", "committed", "reserved", "damaged", "quality_control", "safety_stock", "in_transit")


async def apply_position_changed(session: AsyncSession, envelope: EventEnvelope) -> bool:
    """Apply a WMS position if it is newer than what we hold; returns whether it was applied."""
    position: InventoryPosition = envelope.payload_as(InventoryPosition)
    repository = AvailabilityRepository(session)
    record = await repository.position(envelope.tenant, position.sku, position.location_id, for_update=True)
    if record is None:
        record = StockPosition(tenant=envelope.tenant, sku=position.sku, location_id=position.location_id)
        repository.add(record)
    elif record.source_sequence >= envelope.sequence:
        return False
    for state in _STATES:
        setattr(record, state, getattr(position, state))
    record.source_sequence = envelope.sequence
    record.updated_at = position.updated_at
    return True


async def apply_item_upserted(session: AsyncSession, envelope: EventEnvelope) -> bool:
    item: ProductCatalogItem = envelope.payload_as(ProductCatalogItem)
    repository = AvailabilityRepository(session)
    record = await repository.catalog_entry(envelope.tenant, item.sku, for_update=True)
    if record is None:
        record = CatalogEntry(tenant=envelope.tenant, sku=item.sku)
        repository.add(record)
    elif record.source_sequence >= envelope.sequence:
        return False
    record.title = item.title
    record.active = item.active
    record.source_sequence = envelope.sequence
    return True


def subscriptions(database: Database) -> Sequence[Subscription]:
    """Consume each event once: the inbox row and the projection change commit together."""

    async def on_position_changed(envelope: EventEnvelope) -> None:
        async with database.transaction() as session:
            if await claim_event(session, InventoryInbox, envelope, consumer=CONSUMER):
                await apply_position_changed(session, envelope)

    async def on_item_upserted(envelope: EventEnvelope) -> None:
        async with database.transaction() as session:
            if await claim_event(session, InventoryInbox, envelope, consumer=CONSUMER):
                await apply_item_upserted(session, envelope)

    return (
        Subscription(WMS_EVENTS, on_position_changed, frozenset({INVENTORY_POSITION_CHANGED})),
        Subscription(ERP_EVENTS, on_item_upserted, frozenset({CATALOG_ITEM_UPSERTED})),
    )
