"""Durable, at-least-once events: outbox on the producer side, inbox on the consumer side, a bus between."""

from service_kit.events.bus import DeadLetter, Delivery, EventBus, InMemoryEventBus, RedisEventBus
from service_kit.events.consumer import EventConsumer, EventHandler, Subscription
from service_kit.events.inbox import InboxMixin, claim_event
from service_kit.events.outbox import OutboxMixin, record_event
from service_kit.events.relay import OutboxRelay

__all__ = [
    "DeadLetter",
    "Delivery",
    "EventBus",
    "EventConsumer",
    "EventHandler",
    "InMemoryEventBus",
    "InboxMixin",
    "OutboxMixin",
    "OutboxRelay",
    "RedisEventBus",
    "Subscription",
    "claim_event",
    "record_event",
]
