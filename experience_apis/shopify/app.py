"""Builds the Shopify intake: the experience API Shopify itself calls (webhooks)."""

from __future__ import annotations

from litestar import Litestar

from experience_apis.shopify.controllers import WebhookIntakeController
from experience_apis.shopify.models import IntakeBase, IntakeOutbox
from service_kit.app import ServiceDefinition, ServiceRuntime, create_service_app

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="shopify_intake",
        runtime=runtime,
        route_handlers=[WebhookIntakeController],
        title="Omnigate Shopify intake",
        description="Shopify's order and refund webhooks: verified, recorded, deduplicated, announced as events.",
        outbox=IntakeOutbox,
    )


SERVICE = ServiceDefinition(
    name="shopify_intake",
    layer="experience",
    create_app=create_app,
    metadata=IntakeBase.metadata,
    default_port=8302,
)
