"""GraphQL mechanics of the Shopify Admin emulator: the cost bucket, cost calculation, field selection."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode
from graphql.utilities import value_from_ast_untyped

__all__ = ["LeakyBucket", "idempotency_key", "objects", "project", "requested_cost", "user_error"]

_MUTATION_COST = 10
_CONNECTION_WRAPPERS = {"nodes", "edges", "node", "pageInfo"}


@dataclass
class LeakyBucket:
    maximum_available: float = 2000.0
    restore_rate: float = 100.0
    clock: Callable[[], float] = time.monotonic
    available: float = -1.0
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        if self.available < 0:
            self.available = self.maximum_available
        self.updated_at = self.clock()

    def refill(self) -> float:
        now = self.clock()
        self.available = min(self.maximum_available, self.available + (now - self.updated_at) * self.restore_rate)
        self.updated_at = now
        return self.available

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": round(self.available, 3),
            "restoreRate": self.restore_rate,
        }


def user_error(path: list[str], message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": path, "message": message, "code": code}


def idempotency_key(selection: FieldNode, variables: dict[str, Any]) -> str | None:
    for directive in selection.directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments or ():
                if argument.name.value == "key":
                    return str(value_from_ast_untyped(argument.value, variables))
    return None


def requested_cost(operation: OperationDefinitionNode) -> int:
    if operation.operation.value == "mutation":
        return _MUTATION_COST * sum(isinstance(s, FieldNode) for s in operation.selection_set.selections)
    return _selection_cost(operation.selection_set)


def _selection_cost(selection_set: SelectionSetNode | None) -> int:
    total = 0
    for selection in selection_set.selections if selection_set else ():
        if not isinstance(selection, FieldNode) or selection.selection_set is None:
            continue  # a scalar costs nothing
        inner = _selection_cost(selection.selection_set)
        first = next((a for a in (selection.arguments or ()) if a.name.value in ("first", "last")), None)
        if selection.name.value in _CONNECTION_WRAPPERS:
            total += inner + (0 if selection.name.value in ("nodes", "edges") else 1)
        elif first is not None:
            size = int(value_from_ast_untyped(first.value, {}) or 0)
            total += 2 + size * max(inner, 1)
        else:
            total += 1 + inner
    return total


def objects(value: Any) -> int:
    """Objects in a result (what its actual cost counts)."""
    if isinstance(value, list):
        return sum(objects(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(objects(v) for v in value.values())
    return 0


def project(value: Any, selection_set: SelectionSetNode | None) -> Any:
    """Only the fields the document selected, under their aliases."""
    if selection_set is None or value is None:
        return value
    if isinstance(value, list):
        return [project(item, selection_set) for item in value]
    out: dict[str, Any] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            out[selection.alias.value if selection.alias else name] = project(value.get(name), selection.selection_set)
    return out
