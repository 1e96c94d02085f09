"""The envelope every event travels in, whatever the bus.

Consumers rely on ``event_id`` to dedupe (delivery is at least once) and on ``sequence``, numbered per
aggregate by its producer, to ignore stale events that arrive out of order.
"""

import builtins
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec

from canonical.tenancy import TenantId

__all__ = [
    "CATALOG_ITEM_UPSERTED",
    "INVENTORY_POSITION_CHANGED",
    "EventEnvelope",
    "decode_envelope",
    "encode_envelope",
]

T = TypeVar("T")

INVENTORY_POSITION_CHANGED = "inventory.position.changed"
"""Payload: :class:`canonical.inventory.InventoryPosition`. Producer: the WMS system API."""
CATALOG_ITEM_UPSERTED = "catalog.item.upserted"
"""Payload: :class:`canonical.catalog.ProductCatalogItem`. Producer: the ERP system API."""

EventType = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
TraceId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$")]


class EventEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    event_id: uuid.UUID
    type: EventType
    occurred_at: datetime
    tenant: TenantId
    aggregate_type: str
    aggregate_id: str
    sequence: Annotated[int, msgspec.Meta(ge=1)]
    """Per aggregate, increasing with every change the producer makes to it."""
    payload: dict[str, Any]
    correlation_id: str | None = None
    trace_id: TraceId | None = None
    schema_version: int = 1

    @classmethod
    def new(
        cls,
        *,
        type: str,
        tenant: str,
        aggregate_type: str,
        aggregate_id: str,
        sequence: int,
        payload: msgspec.Struct,
        correlation_id: str | None = None,
        trace_id: str | None = None,
    ) -> "EventEnvelope":
        return cls(
            event_id=uuid.uuid4(),
            type=type,
            occurred_at=datetime.now(UTC),
            tenant=tenant,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            sequence=sequence,
            payload=msgspec.to_builtins(payload),
            correlation_id=correlation_id,
            trace_id=trace_id,
        )

    def payload_as(self, payload_type: builtins.type[T]) -> T:
        """The payload decoded into its canonical type (validated)."""
        return msgspec.convert(self.payload, payload_type)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventEnvelope)


def encode_envelope(envelope: EventEnvelope) -> bytes:
    return _encoder.encode(envelope)


def decode_envelope(data: bytes) -> EventEnvelope:
    return _decoder.decode(data)
