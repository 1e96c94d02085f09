"""Stopping background loops: first asked, then cancelled; and telling a cancelled task from a failed one.

A loop asked to stop (:class:`Shutdown`) finishes the step it is in and returns, so a database transaction is
never cut in half: cancelling a task inside one can leave SQLite's driver waiting for ever on a connection
SQLAlchemy has already torn down. Only a loop that does not return within the grace period is cancelled.

Database and Redis drivers sometimes answer a cancellation by raising their own error (a closed connection)
instead of ``CancelledError``. A retry loop that catches ``Exception`` would then swallow the cancellation
and run forever, hanging shutdown; it asks :func:`stopping` before retrying. Some drivers even swallow the
cancellation and return normally, so loops also ask at the top of every round.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

__all__ = ["SHUTDOWN_GRACE", "Shutdown", "stop_gracefully", "stopping"]

SHUTDOWN_GRACE = 5.0
"""Seconds a loop gets to finish its step once asked to stop, beyond the longest wait it may be in."""


def stopping() -> bool:
    """Whether the current task has been asked to stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Shutdown:
    """Set by a service's lifespan when it stops; its loops look at it between steps and while they wait."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if a stop is requested meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=seconds)


async def stop_gracefully(tasks: Sequence[asyncio.Task[None]], shutdown: Shutdown, *, grace: float) -> None:
    """Ask the loops to stop, give them ``grace`` seconds to finish their step, then cancel what still runs."""
    shutdown.request()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
