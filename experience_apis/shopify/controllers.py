"""``POST /webhooks/shopify``: where Shopify delivers (through the gateway, which forwards it unchanged)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post

from experience_apis.shopify.service import DeliveryReceipt, WebhookIntake
from experience_apis.shopify.signatures import read_headers
from service_kit.dependencies import DbSession
from service_kit.problems import problem_responses

__all__ = ["WebhookIntakeController"]


class WebhookIntakeController(Controller):
    path = "/webhooks/shopify"
    tags = ["webhooks"]

    @post("/", status_code=200, responses=problem_responses(400, 401, 413))
    async def deliver(self, request: Request[Any, Any, Any], db_session: DbSession) -> DeliveryReceipt:
        """Record a delivery and acknowledge it (Shopify retries anything but a 2xx within 5 s)."""
        return await WebhookIntake(db_session).receive(read_headers(request.headers), await request.body())
