"""Shutdown never hangs on a retry loop whose driver turned the cancellation into its own error."""

from __future__ import annotations

import asyncio

from service_kit.events.bus import InMemoryEventBus
from service_kit.events.cancellation import Shutdown, stop_gracefully
from service_kit.events.relay import OutboxRelay


class _DriverThatHidesCancellation(OutboxRelay):
    """``relay_once`` blocks on I/O and, when cancelled, raises a connection error (as asyncpg and redis-py
    sometimes do) instead of ``CancelledError``."""

    def __init__(self) -> None:
        super().__init__(database=None, outbox=None, bus=_DurableBus(), poll_interval=0.01)  # type: ignore[arg-type]
        self.entered = asyncio.Event()

    async def relay_once(self) -> int:
        self.entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise ConnectionError("connection closed while cancelling") from None
        return 0


class _DurableBus(InMemoryEventBus):
    durable = True  # no replay at start: the test is about the loop


async def test_a_relay_stops_when_cancelled_even_if_the_driver_raises_its_own_error() -> None:
    relay = _DriverThatHidesCancellation()
    task = asyncio.create_task(relay.run())
    await relay.entered.wait()

    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)

    assert done, "the relay kept retrying after it was cancelled"
    assert isinstance(task.exception(), ConnectionError)


class _DriverThatSwallowsCancellation(_DriverThatHidesCancellation):
    async def relay_once(self) -> int:
        self.entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return 0  # as if the cancellation never happened
        return 0


async def test_a_relay_stops_when_a_driver_swallows_the_cancellation() -> None:
    relay = _DriverThatSwallowsCancellation()
    task = asyncio.create_task(relay.run())
    await relay.entered.wait()

    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)

    assert done, "the relay kept polling after it was cancelled"
    assert task.cancelled()


class _SlowStep(OutboxRelay):
    """A relay whose step takes a while (a database transaction) and must not be cut in half."""

    def __init__(self) -> None:
        super().__init__(database=None, outbox=None, bus=_DurableBus(), poll_interval=3600)  # type: ignore[arg-type]
        self.entered = asyncio.Event()
        self.finished_steps = 0

    async def relay_once(self) -> int:
        self.entered.set()
        await asyncio.sleep(0.2)
        self.finished_steps += 1
        return 0


async def test_asked_to_stop_a_loop_finishes_its_step_and_returns_without_being_cancelled() -> None:
    relay = _SlowStep()
    shutdown = Shutdown()
    task = asyncio.create_task(relay.run(shutdown))
    await relay.entered.wait()

    await stop_gracefully([task], shutdown, grace=5)

    assert relay.finished_steps == 1, "the step in hand was finished, no new one started"
    assert task.done() and not task.cancelled()


async def test_a_loop_that_does_not_stop_within_the_grace_period_is_cancelled() -> None:
    relay = _DriverThatSwallowsCancellation()
    task = asyncio.create_task(relay.run(Shutdown()))  # its own Shutdown: never asked
    await relay.entered.wait()

    await stop_gracefully([task], Shutdown(), grace=0.1)

    assert task.cancelled()
