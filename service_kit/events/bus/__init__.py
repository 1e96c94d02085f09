"""Event bus backends behind one protocol: in memory (embedded) and Redis Streams (distributed)."""

from service_kit.events.bus.base import DeadLetter, Delivery, EventBus, dead_letter_stream
from service_kit.events.bus.memory import InMemoryEventBus
from service_kit.events.bus.redis import RedisEventBus

__all__ = ["DeadLetter", "Delivery", "EventBus", "InMemoryEventBus", "RedisEventBus", "dead_letter_stream"]
