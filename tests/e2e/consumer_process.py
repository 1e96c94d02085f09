"""A real inventory consumer in its own OS process, for the crash test.

It applies WMS position events with the inventory process's own handler (inbox + projection in one
transaction). With ``--stall-on SKU`` it stops, without acknowledging, right after applying that SKU's
event (announcing ``STALLED`` on stdout), so the test can kill it at the worst moment: the change is
committed but the bus still believes the event unprocessed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from canonical.events import EventEnvelope
from canonical.streams import WMS_EVENTS
from process_apis.inventory.projections import subscriptions
from service_kit.database import Database
from service_kit.events.bus import RedisEventBus
from service_kit.events.consumer import EventConsumer, Subscription


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--stall-on")
    args = parser.parse_args()

    database = Database(args.database_url)
    bus = RedisEventBus.from_url(args.redis_url, prefix=args.prefix)
    apply_position = subscriptions(database)[0].handler

    async def handler(envelope: EventEnvelope) -> None:
        await apply_position(envelope)
        sys.stdout.write(f"APPLIED {envelope.payload['sku']}\n")
        sys.stdout.flush()
        if envelope.payload["sku"] == args.stall_on:
            sys.stdout.write("STALLED\n")
            sys.stdout.flush()
            await asyncio.Event().wait()

    consumer = EventConsumer(
        bus,
        Subscription(WMS_EVENTS, handler),
        group="inventory",
        consumer=args.name,
        block_ms=100,
        claim_idle_ms=500,
        batch_size=1,
    )
    await consumer.run()


if __name__ == "__main__":
    asyncio.run(main())
