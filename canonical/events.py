"""The envelope every event travels in, whatever the bus.

Consumers rely on ``event_id`` to dedupe (delivery is at least once) and on ``sequence``, numbered per
aggregate by its producer, to ignore stale events that arrive out of order. The payload is a canonical
Struct in its JSON form; ``type`` says which one, and :meth:`EventEnvelope.payload_as` decodes it.
"""

import builtins
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import msgspec

from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "CATALOG_ITEM_UPSERTED",
    "INVENTORY_AVAILABILITY_CHANGED",
    "INVENTORY_POSITION_CHANGED",
    "EventEnvelope",
    "EventType",
    "TraceId",
    "decode_envelope",
    "encode_envelope",
]

T = TypeVar("T")

INVENTORY_POSITION_CHANGED = "inventory.position.changed"
"""Payload: :class:`canonical.inventory.InventoryPosition`. Producer: the WMS system API."""
CATALOG_ITEM_UPSERTED = "catalog.item.upserted"
"""Payload: :class:`canonical.catalog.ProductCatalogItem`. Producer: the ERP system API."""
INVENTORY_AVAILABILITY_CHANGED = "inventory.availability.changed"
"""Payload: :class:`canonical.inventory.AvailabilityChange`. Producer: the inventory process API."""

EventType = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
        description="Dotted lowercase name, aggregate first: inventory.position.changed",
    ),
]
TraceId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$", description="W3C trace-id: 32 lowercase hex digits")]
_INVALID_TRACE_ID = "0" * 32


class EventEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """One event: who it concerns (tenant, aggregate), where it stands (sequence), and its payload."""

    event_id: uuid.UUID
    type: EventType
    occurred_at: Timestamp
    """UTC."""
    tenant: TenantId
    aggregate_type: Annotated[str, msgspec.Meta(min_length=1)]
    aggregate_id: Annotated[str, msgspec.Meta(min_length=1)]
    sequence: Annotated[int, msgspec.Meta(ge=1)]
    """Per aggregate, increasing with every change the producer makes to it."""
    payload: dict[str, Any]
    correlation_id: str | None = None
    trace_id: TraceId | None = None
    schema_version: Annotated[int, msgspec.Meta(ge=1)] = 1

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() != timedelta(0):
            raise ValueError("occurred_at must be in UTC")
        if self.trace_id == _INVALID_TRACE_ID:
            raise ValueError("trace_id of all zeros is invalid (W3C Trace Context)")

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
        """A new event with a fresh id, stamped now (UTC).

        Validated exactly as a consumer will decode it (raises ``msgspec.ValidationError``), so a
        malformed event fails in the producer's transaction rather than in a dead-letter stream.
        """
        fields = {
            "event_id": uuid.uuid4(),
            "type": type,
            "occurred_at": datetime.now(UTC),
            "tenant": tenant,
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "sequence": sequence,
            "payload": msgspec.to_builtins(payload),
            "correlation_id": correlation_id,
            "trace_id": trace_id,
        }
        return msgspec.convert(fields, cls)

    def payload_as(self, payload_type: builtins.type[T]) -> T:
        """The payload decoded into its canonical type (validated; raises ``msgspec.ValidationError``)."""
        return msgspec.convert(self.payload, payload_type)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventEnvelope)


def encode_envelope(envelope: EventEnvelope) -> bytes:
    """JSON bytes of an envelope, as stored in outboxes and sent on every bus."""
    return _encoder.encode(envelope)


def decode_envelope(data: bytes) -> EventEnvelope:
    """The envelope in ``data``, validated (raises ``msgspec.ValidationError``)."""
    return _decoder.decode(data)
