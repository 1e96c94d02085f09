"""A local Shopify GraphQL Admin API (2026-07) on a loopback port, for tests.

It parses the real documents with graphql-core, answers only the fields selected, accounts cost in a
leaky bucket per shop (``maximum_available`` points, ``restore_rate`` points/second, both configurable,
reported in ``extensions.cost`` exactly as Shopify does), answers ``THROTTLED`` (HTTP 200) when a query's
requested cost exceeds what the bucket holds, can answer HTTP 429 with ``Retry-After``, and records every
mutation it receives. Shops are told apart by their ``X-Shopify-Access-Token``.

Cost rule (Shopify's, simplified): a mutation costs 10; in a query each object costs 1, scalars 0, and a
connection ``(first: n)`` costs 2 + n * its node's cost. The actual cost of a query counts the objects
returned; the difference is refunded to the bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import uvicorn
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from graphql.utilities import value_from_ast_untyped

from tests.emulators.graphql_support import (
    LeakyBucket,
    idempotency_key,
    objects,
    project,
    requested_cost,
    user_error,
)

__all__ = ["EmulatedOrder", "EmulatedShop", "LeakyBucket", "ShopifyAdminEmulator"]

_SINGLE_QUERY_LIMIT = 1000
_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json$")
_SET_QUANTITY_INPUT = {"name", "reason", "referenceDocumentUri", "quantities"}
_QUANTITY_FIELDS = {"inventoryItemId", "locationId", "quantity", "changeFromQuantity"}
_REASONS = {"correction", "cycle_count_available", "damaged", "movement_created", "received", "restock", "other",
            "promotion", "quality_control", "reservation_created", "safety_stock", "shrinkage"}  # fmt: skip
_IDEMPOTENT = {"inventorySetQuantities", "refundCreate"}
_ids = itertools.count(9_000_000_001)


@dataclass
class EmulatedOrder:
    """An order with one fulfillment order (at ``location_id``) holding every line."""

    number: int
    lines: dict[str, tuple[str, int]]
    """Line item number → (sku, quantity)."""
    location_id: str = "gid://shopify/Location/71000000001"
    total: Decimal = Decimal("100.00")
    currency: str = "USD"
    cancelled_at: str | None = None
    remaining: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)
    refunded_amount: Decimal = Decimal("0")
    risk: dict[str, Any] = field(default_factory=lambda: {"recommendation": "NONE", "assessments": []})
    """``Order.risk`` as Shopify answers it (``OrderRiskSummary``)."""

    def __post_init__(self) -> None:
        self.remaining = {line: qty for line, (_sku, qty) in self.lines.items()}

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.number}"

    @property
    def fulfillment_order_gid(self) -> str:
        return f"gid://shopify/FulfillmentOrder/{self.number}1"

    def fulfillment_order_status(self) -> str:
        if self.cancelled_at:
            return "CANCELLED"
        if not any(self.remaining.values()):
            return "CLOSED"
        return "IN_PROGRESS" if any(r < self.lines[ln][1] for ln, r in self.remaining.items()) else "OPEN"


@dataclass
class EmulatedShop:
    domain: str
    access_token: str
    bucket: LeakyBucket
    inventory_items: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)
    levels: dict[tuple[str, str, str], int] = field(default_factory=dict)
    orders: dict[str, EmulatedOrder] = field(default_factory=dict)
    mutations: list[dict[str, Any]] = field(default_factory=list)
    """Every mutation received and executed: name, variables, idempotency key."""
    idempotent_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    answer_429: int = 0
    """Answer the next N requests with HTTP 429."""
    retry_after: float = 1.0
    requests: int = 0
    throttled: int = 0

    def add_order(self, order: EmulatedOrder) -> EmulatedOrder:
        self.orders[order.gid] = order
        return order


class _Rejected(Exception):
    """A top-level GraphQL error (bad document or arguments)."""


class ShopifyAdminEmulator:
    """An ASGI app; :meth:`serving` runs it with uvicorn on ``127.0.0.1`` and an ephemeral port."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.shops: dict[str, EmulatedShop] = {}

    def add_shop(
        self, domain: str, access_token: str, *, maximum_available: float = 2000.0, restore_rate: float = 100.0
    ) -> EmulatedShop:
        bucket = LeakyBucket(maximum_available, restore_rate, clock=self.clock)
        shop = EmulatedShop(domain=domain, access_token=access_token, bucket=bucket)
        self.shops[access_token] = shop
        return shop

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        config = uvicorn.Config(self, host="127.0.0.1", port=0, lifespan="off", log_config=None, access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, payload, extra = self.handle(scope["method"], scope["path"], headers, body)
        encoded = json.dumps(payload).encode()
        response_headers = [(b"content-type", b"application/json; charset=utf-8")]
        response_headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": encoded})

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        if method != "POST" or not _PATH.match(path):
            return 404, {"errors": "Not Found"}, {}
        shop = self.shops.get(headers.get("x-shopify-access-token", ""))
        if shop is None:
            invalid = "[API] Invalid API key or access token (unrecognized login or wrong password)"
            return 401, {"errors": invalid}, {}
        shop.requests += 1
        if shop.answer_429 > 0:
            shop.answer_429 -= 1
            message = (
                "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
            )
            return 429, {"errors": message}, {"Retry-After": f"{shop.retry_after:g}"}
        try:
            request = json.loads(body)
            document = parse(request["query"])
            variables = request.get("variables") or {}
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"errors": {"query": f"Required parameter missing or invalid: {exc}"}}, {}
        except GraphQLError as exc:
            return 200, {"errors": [exc.formatted]}, {}
        operation = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)), None)
        if operation is None:
            return 200, {"errors": [{"message": "No operation given"}]}, {}
        requested = requested_cost(operation)
        if requested > _SINGLE_QUERY_LIMIT:
            exceeded = {
                "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({_SINGLE_QUERY_LIMIT}).",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": _SINGLE_QUERY_LIMIT},
            }
            return 200, {"errors": [exceeded]}, {}
        if requested > shop.bucket.refill():
            shop.throttled += 1
            cost = {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": shop.bucket.status()}
            throttled = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
            return 200, {"errors": [throttled], "extensions": {"cost": cost}}, {}
        shop.bucket.available -= requested
        try:
            data = self._execute(shop, operation, variables)
        except _Rejected as exc:
            shop.bucket.available += requested
            return 200, {"errors": [{"message": str(exc), "extensions": {"code": "argumentLiteralsIncompatible"}}]}, {}
        actual = requested if operation.operation.value == "mutation" else min(requested, objects(data))
        shop.bucket.available = min(shop.bucket.maximum_available, shop.bucket.available + requested - actual)
        cost = {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": shop.bucket.status()}
        return 200, {"data": data, "extensions": {"cost": cost}}, {}

    def _execute(
        self, shop: EmulatedShop, operation: OperationDefinitionNode, variables: dict[str, Any]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            args = {a.name.value: value_from_ast_untyped(a.value, variables) for a in (selection.arguments or ())}
            key = idempotency_key(selection, variables)
            if name in _IDEMPOTENT and key is None:
                raise _Rejected(f"The @idempotent directive is required for the {name} mutation")
            if key is not None and key in shop.idempotent_answers:
                value = shop.idempotent_answers[key]
            else:
                resolver = getattr(self, f"_resolve_{name}", None)
                if resolver is None:
                    raise _Rejected(f"Field '{name}' doesn't exist on type '{operation.operation.value.title()}Root'")
                value = resolver(shop, args)
                if operation.operation.value == "mutation":
                    shop.mutations.append({"mutation": name, "variables": variables, "idempotency_key": key})
                    if key is not None:
                        shop.idempotent_answers[key] = value
            data[selection.alias.value if selection.alias else name] = project(value, selection.selection_set)
        return data

    # -- queries ------------------------------------------------------------------------------------------

    def _resolve_shop(self, shop: EmulatedShop, args: dict[str, Any]) -> dict[str, Any]:
        return {"id": "gid://shopify/Shop/1", "name": shop.domain, "myshopifyDomain": shop.domain}

    def _resolve_order(self, shop: EmulatedShop, args: dict[str, Any]) -> dict[str, Any] | None:
        order = shop.orders.get(str(args.get("id")))
        if order is None:
            return None
        line_items = [
            {"id": f"gid://shopify/FulfillmentOrderLineItem/{line}1", "remainingQuantity": remaining,
             "lineItem": {"id": f"gid://shopify/LineItem/{line}", "sku": order.lines[line][0]}}
            for line, remaining in order.remaining.items()
        ]  # fmt: skip
        fulfillment_order = {
            "id": order.fulfillment_order_gid,
            "status": order.fulfillment_order_status(),
            "assignedLocation": {"location": {"id": order.location_id}},
            "lineItems": {"nodes": line_items},
        }
        return {
            "id": order.gid,
            "cancelledAt": order.cancelled_at,
            "fulfillmentOrders": {"nodes": [fulfillment_order]},
            "risk": order.risk,
        }

    # -- mutations ----------------------------------------------------------------------------------------

    def _resolve_inventorySetQuantities(self, shop: EmulatedShop, args: dict[str, Any]) -> dict[str, Any]:
        payload = args.get("input") or {}
        unknown = set(payload) - _SET_QUANTITY_INPUT
        if unknown:
            raise _Rejected(f"InputObject 'InventorySetQuantitiesInput' doesn't accept argument '{sorted(unknown)[0]}'")
        errors = []
        if payload.get("name") not in ("available", "on_hand"):
            errors.append(
                user_error(
                    ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"
                )
            )
        if payload.get("reason") not in _REASONS:
            errors.append(user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
        quantities = payload.get("quantities") or []
        for index, quantity in enumerate(quantities):
            where = ["input", "quantities", str(index)]
            if extra := sorted(set(quantity) - _QUANTITY_FIELDS):
                raise _Rejected(f"InputObject 'InventoryQuantityInput' doesn't accept argument '{extra[0]}'")
            if "changeFromQuantity" not in quantity:
                errors.append(
                    user_error(
                        [*where, "changeFromQuantity"],
                        "changeFromQuantity is required; pass null to skip the check.",
                        "CHANGE_FROM_QUANTITY_REQUIRED",
                    )
                )
                continue
            if quantity.get("inventoryItemId") not in shop.inventory_items:
                errors.append(
                    user_error(
                        [*where, "inventoryItemId"],
                        "The specified inventory item could not be found.",
                        "INVALID_INVENTORY_ITEM",
                    )
                )
                continue
            if quantity.get("locationId") not in shop.locations:
                errors.append(
                    user_error([*where, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")
                )
                continue
            current = shop.levels.get((quantity["inventoryItemId"], quantity["locationId"], payload.get("name", "")), 0)
            expected = quantity["changeFromQuantity"]
            if expected is not None and int(expected) != current:
                errors.append(
                    user_error(
                        [*where, "changeFromQuantity"],
                        "The specified compare quantity does not match the current quantity.",
                        "CHANGE_FROM_QUANTITY_STALE",
                    )
                )
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for quantity in quantities:
            key = (quantity["inventoryItemId"], quantity["locationId"], payload["name"])
            changes.append({"name": payload["name"], "delta": int(quantity["quantity"]) - shop.levels.get(key, 0)})
            shop.levels[key] = int(quantity["quantity"])
        group = {
            "id": f"gid://shopify/InventoryAdjustmentGroup/{next(_ids)}",
            "reason": payload["reason"],
            "changes": changes,
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _resolve_fulfillmentCreate(self, shop: EmulatedShop, args: dict[str, Any]) -> dict[str, Any]:
        fulfillment = args.get("fulfillment") or {}
        errors = []
        applied: list[tuple[EmulatedOrder, str, int]] = []
        for i, group in enumerate(fulfillment.get("lineItemsByFulfillmentOrder") or []):
            order = next(
                (o for o in shop.orders.values() if o.fulfillment_order_gid == group.get("fulfillmentOrderId")), None
            )
            where = ["fulfillment", "lineItemsByFulfillmentOrder", str(i)]
            if order is None:
                errors.append(user_error([*where, "fulfillmentOrderId"], "Fulfillment order does not exist."))
                continue
            if order.fulfillment_order_status() in ("CANCELLED", "CLOSED"):
                errors.append(
                    user_error([*where, "fulfillmentOrderId"], "Fulfillment order is not in an actionable state.")
                )
                continue
            items = group.get("fulfillmentOrderLineItems") or [
                {"id": f"gid://shopify/FulfillmentOrderLineItem/{ln}1", "quantity": r}
                for ln, r in order.remaining.items()
            ]
            for j, item in enumerate(items):
                line = str(item.get("id", "")).rsplit("/", 1)[-1][:-1]
                if line not in order.remaining:
                    errors.append(
                        user_error(
                            [*where, "fulfillmentOrderLineItems", str(j), "id"],
                            "Invalid fulfillment order line item id.",
                        )
                    )
                elif int(item["quantity"]) > order.remaining[line]:
                    errors.append(
                        user_error(
                            [*where, "fulfillmentOrderLineItems", str(j), "quantity"],
                            "Invalid fulfillment order line item quantity requested.",
                        )
                    )
                else:
                    applied.append((order, line, int(item["quantity"])))
        if errors:
            return {"fulfillment": None, "userErrors": errors}
        for order, line, quantity in applied:
            order.remaining[line] -= quantity
        tracking = fulfillment.get("trackingInfo") or {}
        numbers = tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
        info = [{"company": tracking.get("company"), "number": n, "url": tracking.get("url")} for n in numbers]
        return {
            "fulfillment": {"id": f"gid://shopify/Fulfillment/{next(_ids)}", "status": "SUCCESS", "trackingInfo": info},
            "userErrors": [],
        }

    def _resolve_refundCreate(self, shop: EmulatedShop, args: dict[str, Any]) -> dict[str, Any]:
        payload = args.get("input") or {}
        order = shop.orders.get(str(payload.get("orderId")))
        if order is None:
            return {"refund": None, "userErrors": [user_error(["orderId"], "Order does not exist")]}
        errors = []
        for i, item in enumerate(payload.get("refundLineItems") or []):
            line = str(item.get("lineItemId", "")).rsplit("/", 1)[-1]
            if line not in order.lines:
                errors.append(user_error(["refundLineItems", str(i), "lineItemId"], "Line item does not exist"))
            elif int(item["quantity"]) > order.lines[line][1] - order.refunded.get(line, 0):
                errors.append(
                    user_error(
                        ["refundLineItems", str(i), "quantity"], "Quantity cannot refund more items than were purchased"
                    )
                )
        amount = sum((Decimal(t["amount"]) for t in payload.get("transactions") or []), Decimal("0"))
        if amount > order.total - order.refunded_amount:
            errors.append(
                user_error(
                    ["transactions", "0", "amount"],
                    f"Amount can't be greater than {order.total - order.refunded_amount}",
                )
            )
        if errors:
            return {"refund": None, "userErrors": errors}
        for item in payload.get("refundLineItems") or []:
            line = str(item["lineItemId"]).rsplit("/", 1)[-1]
            order.refunded[line] = order.refunded.get(line, 0) + int(item["quantity"])
        order.refunded_amount += amount
        money = {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": order.currency}}
        return {"refund": {"id": f"gid://shopify/Refund/{next(_ids)}", "totalRefundedSet": money}, "userErrors": []}

    def _resolve_orderCancel(self, shop: EmulatedShop, args: dict[str, Any]) -> dict[str, Any]:
        for required in ("orderId", "refundMethod", "restock", "reason"):
            if args.get(required) is None:
                raise _Rejected(f"Field 'orderCancel' is missing required arguments: {required}")
        if args["reason"] not in ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"):
            raise _Rejected(f"Argument 'reason' has an invalid value ({args['reason']})")
        order = shop.orders.get(str(args["orderId"]))
        if order is None:
            error = user_error(["orderId"], "Order not found", "NOT_FOUND")
            return {"job": None, "orderCancelUserErrors": [error], "userErrors": [error]}
        if order.cancelled_at:
            error = user_error(["orderId"], "Order has already been cancelled", "INVALID")
            return {"job": None, "orderCancelUserErrors": [error], "userErrors": [error]}
        order.cancelled_at = "2026-11-23T12:00:00Z"
        job = {"id": f"gid://shopify/Job/{next(_ids)}", "done": False}
        return {"job": job, "orderCancelUserErrors": [], "userErrors": []}
