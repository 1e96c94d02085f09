"""The order's state machine: which state may follow which, and which system owns each step.

``received → validated → tax_calculated → accepted → reserved → released → partially_shipped → shipped →
invoiced``, with ``on_hold`` (fraud, payment, credit, address, tax: a person must act), ``backordered``
(accepted, not all units could be reserved), ``cancelled`` and ``rejected``. A transition not listed here is a
bug or a stale event, and is refused rather than applied.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ACTIONABLE",
    "ALL_STATES",
    "CANCELLABLE",
    "OWNER",
    "TERMINAL",
    "TRANSITIONS",
    "IllegalTransition",
    "OrderState",
    "check_transition",
]

OrderState = Literal[
    "received",
    "validated",
    "tax_calculated",
    "accepted",
    "reserved",
    "backordered",
    "released",
    "partially_shipped",
    "shipped",
    "invoiced",
    "on_hold",
    "cancelled",
    "rejected",
]

TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    "received": frozenset({"validated", "rejected", "on_hold", "cancelled"}),
    "validated": frozenset({"tax_calculated", "on_hold", "cancelled"}),
    "tax_calculated": frozenset({"accepted", "rejected", "on_hold", "cancelled"}),
    "accepted": frozenset({"reserved", "backordered", "cancelled"}),
    "reserved": frozenset({"released", "cancelled"}),
    "backordered": frozenset({"released", "reserved", "cancelled"}),
    "released": frozenset({"partially_shipped", "shipped", "cancelled"}),
    "partially_shipped": frozenset({"partially_shipped", "shipped"}),
    "shipped": frozenset({"invoiced"}),
    "invoiced": frozenset(),
    "on_hold": frozenset({"received"}),
    "cancelled": frozenset(),
    "rejected": frozenset({"received"}),
}
"""``on_hold`` and ``rejected`` go back to ``received`` when a person retries the order after fixing the cause."""

OWNER: dict[OrderState, str] = {
    "received": "channel",
    "validated": "erp",
    "tax_calculated": "tax",
    "accepted": "erp",
    "reserved": "inventory",
    "backordered": "inventory",
    "released": "wms",
    "partially_shipped": "wms",
    "shipped": "wms",
    "invoiced": "erp",
    "on_hold": "orders",
    "cancelled": "channel",
    "rejected": "erp",
}
"""The system whose answer moves an order into each state (recorded on the timeline)."""

ACTIONABLE: frozenset[OrderState] = frozenset(
    {"received", "validated", "tax_calculated", "accepted", "backordered", "reserved"}
)
"""States the worker advances by calling a system; the others wait for an event or a person. A ``backordered``
order is tried again every ``backorder_recheck_interval`` until all its units are held."""

TERMINAL: frozenset[OrderState] = frozenset({"invoiced", "cancelled"})

CANCELLABLE: frozenset[OrderState] = frozenset(
    state for state, targets in TRANSITIONS.items() if "cancelled" in targets
)
"""Nothing has left a warehouse yet: a cancellation frees the holds and withdraws the releases."""

ALL_STATES: tuple[OrderState, ...] = get_args(OrderState)


class IllegalTransition(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"an order cannot go from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: OrderState, target: OrderState) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
