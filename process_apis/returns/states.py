"""The return's state machine.

``requested → authorized (RMA number) → in_transit → received → inspected → (restocked | written_off) →
refund_calculated → refunded → closed``, plus ``rejected`` (outside the window, not returnable, more than
shipped) and ``on_hold`` (a receipt that differs from the RMA, a system that refused: a person must act).
A transition not listed here is a bug or a stale event, and is refused rather than applied.
"""

from __future__ import annotations

from canonical.returns import ReturnStatus

__all__ = ["ACTIONABLE", "OPEN", "RECEIVABLE", "TRANSITIONS", "IllegalReturnTransition", "check_transition"]

TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    "requested": frozenset({"authorized", "rejected", "on_hold"}),
    "authorized": frozenset({"in_transit", "received", "rejected"}),
    "in_transit": frozenset({"received"}),
    "received": frozenset({"inspected", "on_hold"}),
    "inspected": frozenset({"restocked", "written_off"}),
    "restocked": frozenset({"refund_calculated", "on_hold"}),
    "written_off": frozenset({"refund_calculated", "on_hold"}),
    "refund_calculated": frozenset({"refunded", "on_hold"}),
    "refunded": frozenset({"closed", "on_hold"}),
    "closed": frozenset(),
    "rejected": frozenset(),
    "on_hold": frozenset(
        {"requested", "received", "inspected", "restocked", "written_off", "refund_calculated", "refunded"}
    ),
}
"""``on_hold`` goes back to the state it was held in once a person retries the return."""

ACTIONABLE: frozenset[ReturnStatus] = frozenset(
    {"requested", "restocked", "written_off", "refund_calculated", "refunded"}
)
"""States the worker advances by calling a system; the others wait for the warehouse or a person."""

RECEIVABLE: frozenset[ReturnStatus] = frozenset({"authorized", "in_transit"})
"""States in which a warehouse receipt for the RMA is applied."""

OPEN: frozenset[ReturnStatus] = frozenset(TRANSITIONS) - {"closed", "rejected"}


class IllegalReturnTransition(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a return cannot go from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalReturnTransition(current, target)
