"""Shopify's return (a ``returns/request`` webhook body) to the canonical return request: the one place it happens.

A return line names the fulfilled units it takes back (``fulfillment_line_item``) and, inside them, the order
line (``line_item``); the order line's id is what the order mapper made ``OrderLine.line_id``, so that is the
line id here. Ids come as numbers or as GraphQL ids (``gid://shopify/LineItem/1``); either is read. Reasons
come lowercase in webhooks and upper case in GraphQL; both are read. Anything that cannot be mapped raises
:class:`UnmappableReturn` naming every field at fault — a business exception for the worklist, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import cast, get_args

import msgspec

from canonical.channel import ChannelDelivery, ChannelReturnLine, ChannelReturnRequestEvent
from canonical.returns import ReturnReason
from experience_apis.shopify.order_mapping import MappingProblem, validation_problem
from experience_apis.shopify.wire import ShopifyResourceRef, ShopifyReturn, ShopifyReturnLineItem

__all__ = ["UnmappableReturn", "decode_return", "map_return", "return_id_of", "shopify_id"]

_REASONS: frozenset[str] = frozenset(get_args(ReturnReason))
_NUMERIC = re.compile(r"[0-9]+")
_GID = re.compile(r"gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>[0-9]+)")


class UnmappableReturn(Exception):
    """The payload is not a return request we can accept as it stands; each problem names a field."""

    def __init__(self, problems: Iterable[MappingProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


def decode_return(raw: bytes) -> ShopifyReturn:
    """The webhook body as Shopify's return; malformed JSON or wrong types are an :class:`UnmappableReturn`."""
    try:
        return msgspec.json.decode(raw, type=ShopifyReturn)
    except msgspec.ValidationError as exc:
        raise UnmappableReturn([validation_problem(exc)]) from None
    except msgspec.DecodeError as exc:
        raise UnmappableReturn([MappingProblem("$", f"not JSON: {exc}")]) from None


def shopify_id(ref: ShopifyResourceRef | None, kind: str) -> str | None:
    """The numeric id of ``ref`` as a string, from ``id`` (a number, a numeric string or a gid) or else from
    ``admin_graphql_api_id``; None when neither is an id of a ``kind`` (``Order``, ``LineItem``, …)."""
    if ref is None:
        return None
    for value in (ref.id, ref.admin_graphql_api_id):
        if isinstance(value, int):
            if value > 0:
                return str(value)
        elif isinstance(value, str):
            if _NUMERIC.fullmatch(value.strip()) and int(value) > 0:
                return str(int(value))
            gid = _GID.fullmatch(value.strip().split("?", 1)[0])
            if gid is not None and gid["kind"] == kind and int(gid["id"]) > 0:
                return str(int(gid["id"]))
    return None


def return_id_of(shopify_return: ShopifyReturn) -> str | None:
    return shopify_id(ShopifyResourceRef(shopify_return.id, shopify_return.admin_graphql_api_id), "Return")


def _reason(raw: str | None) -> ReturnReason:
    """Shopify's reason lowercased; no reason is ``unknown``, one we do not know (a newer code) ``other``."""
    if raw is None or not raw.strip():
        return "unknown"
    reason = raw.strip().lower()
    return cast("ReturnReason", reason) if reason in _REASONS else "other"


def _note(item: ShopifyReturnLineItem) -> str | None:
    """The reason's note and the customer's note, each once, in that order."""
    notes: list[str] = []
    for note in (item.return_reason_note, item.customer_note):
        if note and note.strip() and note.strip() not in notes:
            notes.append(note.strip())
    return "\n".join(notes) or None


def _line(item: ShopifyReturnLineItem, index: int) -> ChannelReturnLine | list[MappingProblem]:
    where = f"return_line_items[{index}]"
    problems: list[MappingProblem] = []
    fulfilled = item.fulfillment_line_item
    line_id = shopify_id(fulfilled.line_item if fulfilled is not None else None, "LineItem")
    if line_id is None:
        problems.append(
            MappingProblem(f"{where}.fulfillment_line_item.line_item", "names no order line item id we can read")
        )
    if item.quantity is None or item.quantity <= 0:
        problems.append(MappingProblem(f"{where}.quantity", f"{item.quantity} is not a positive quantity"))
    if problems:
        return problems
    assert line_id is not None and item.quantity is not None
    return ChannelReturnLine(
        line_id=line_id, quantity=item.quantity, reason=_reason(item.return_reason), note=_note(item)
    )


def map_return(
    shopify_return: ShopifyReturn, *, delivery: ChannelDelivery, tenant: str, requested_at: datetime | None
) -> ChannelReturnRequestEvent:
    """The canonical return request, or :class:`UnmappableReturn` with every problem found."""
    problems: list[MappingProblem] = []
    return_id = return_id_of(shopify_return)
    if return_id is None:
        problems.append(MappingProblem("id", "the return has no id we can read"))
    order_id = shopify_id(shopify_return.order, "Order")
    if order_id is None:
        problems.append(MappingProblem("order.id", "the return names no order id we can read"))
    lines: list[ChannelReturnLine] = []
    for index, item in enumerate(shopify_return.return_line_items):
        mapped = _line(item, index)
        if isinstance(mapped, list):
            problems.extend(mapped)
        else:
            lines.append(mapped)
    if not shopify_return.return_line_items:
        problems.append(MappingProblem("return_line_items", "the return has no line items"))
    if problems:
        raise UnmappableReturn(problems)
    assert return_id is not None and order_id is not None
    return ChannelReturnRequestEvent(
        delivery=delivery,
        tenant=tenant,
        order_external_id=order_id,
        return_external_id=return_id,
        lines=lines,
        requested_at=requested_at,
    )
