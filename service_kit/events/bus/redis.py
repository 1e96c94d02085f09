"""Redis Streams event bus: consumer groups, XAUTOCLAIM redelivery and a dead-letter stream per stream."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from canonical.events import EventEnvelope, decode_envelope, encode_envelope
from service_kit.events.bus.base import DeadLetter, Delivery, dead_letter_stream

__all__ = ["RedisEventBus"]


class RedisEventBus:
    """Streams live under ``{prefix}{stream}``; a group per consuming service."""

    durable = True

    def __init__(self, redis: Redis, *, prefix: str = "omnigate:", max_len: int = 1_000_000) -> None:
        self._redis: Any = redis
        self._prefix = prefix
        self._max_len = max_len

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "omnigate:") -> RedisEventBus:
        return cls(Redis.from_url(url), prefix=prefix)

    def _key(self, stream: str) -> str:
        return self._prefix + stream

    async def publish(self, stream: str, envelope: EventEnvelope) -> str:
        message_id = await self._redis.xadd(
            self._key(stream),
            {"envelope": encode_envelope(envelope)},
            maxlen=self._max_len,
            approximate=True,
        )
        return _text(message_id)

    async def ensure_group(self, stream: str, group: str) -> None:
        try:
            await self._redis.xgroup_create(self._key(stream), group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def receive(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int, claim_idle_ms: int
    ) -> list[Delivery]:
        key = self._key(stream)
        claimed = await self._redis.xautoclaim(key, group, consumer, claim_idle_ms, start_id="0-0", count=count)
        messages = claimed[1]
        if messages:
            return [
                Delivery(
                    stream=stream,
                    message_id=_text(message_id),
                    envelope=decode_envelope(fields[b"envelope"]),
                    attempt=await self._times_delivered(key, group, message_id),
                )
                for message_id, fields in messages
                if fields is not None
            ]
        response = await self._redis.xreadgroup(group, consumer, {key: ">"}, count=count, block=block_ms)
        deliveries: list[Delivery] = []
        for _stream, entries in response or []:
            for message_id, fields in entries:
                deliveries.append(
                    Delivery(
                        stream=stream,
                        message_id=_text(message_id),
                        envelope=decode_envelope(fields[b"envelope"]),
                        attempt=1,
                    )
                )
        return deliveries

    async def _times_delivered(self, key: str, group: str, message_id: bytes | str) -> int:
        entries = await self._redis.xpending_range(key, group, min=message_id, max=message_id, count=1)
        return int(entries[0]["times_delivered"]) if entries else 1

    async def ack(self, delivery: Delivery, group: str) -> None:
        await self._redis.xack(self._key(delivery.stream), group, delivery.message_id)

    async def dead_letter(self, delivery: Delivery, group: str, error: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self._key(dead_letter_stream(delivery.stream)),
                {
                    "envelope": encode_envelope(delivery.envelope),
                    "stream": delivery.stream,
                    "group": group,
                    "message_id": delivery.message_id,
                    "error": error[:2000],
                    "attempts": str(delivery.attempt),
                    "failed_at": datetime.now(UTC).isoformat(),
                },
            )
            pipe.xack(self._key(delivery.stream), group, delivery.message_id)
            await pipe.execute()

    async def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        entries = await self._redis.xrange(self._key(dead_letter_stream(stream)), count=count)
        return [
            DeadLetter(
                dead_letter_id=_text(dead_id),
                stream=_text(fields[b"stream"]),
                group=_text(fields[b"group"]),
                message_id=_text(fields[b"message_id"]),
                envelope=decode_envelope(fields[b"envelope"]),
                error=_text(fields[b"error"]),
                attempts=int(fields[b"attempts"]),
                failed_at=msgspec.convert(_text(fields[b"failed_at"]), datetime),
            )
            for dead_id, fields in entries
        ]

    async def replay(self, stream: str, dead_letter_id: str) -> str:
        dead_key = self._key(dead_letter_stream(stream))
        entries = await self._redis.xrange(dead_key, min=dead_letter_id, max=dead_letter_id, count=1)
        if not entries:
            raise KeyError(f"no dead letter {dead_letter_id!r} on stream {stream!r}")
        fields = entries[0][1]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._key(stream), {"envelope": fields[b"envelope"]}, maxlen=self._max_len, approximate=True)
            pipe.xdel(dead_key, dead_letter_id)
            results = await pipe.execute()
        return _text(results[0])

    async def pending_count(self, stream: str, group: str) -> int:
        try:
            summary = await self._redis.xpending(self._key(stream), group)
        except ResponseError:
            return 0
        return int(summary["pending"])

    async def ping(self) -> None:
        await self._redis.ping()

    async def aclose(self) -> None:
        await self._redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
