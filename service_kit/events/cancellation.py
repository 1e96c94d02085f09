"""Telling a cancelled task from a failed one.

Database and Redis drivers sometimes answer a cancellation by raising their own error (a closed connection)
instead of ``CancelledError``. A retry loop that catches ``Exception`` would then swallow the cancellation
and run forever, hanging shutdown; it asks :func:`stopping` before retrying. Some drivers even swallow the
cancellation and return normally, so loops also ask at the top of every round.
"""

from __future__ import annotations

import asyncio

__all__ = ["stopping"]


def stopping() -> bool:
    """Whether the current task has been asked to stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
