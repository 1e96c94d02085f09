"""Every Omnigate service, in start-up order (the ones others call come first)."""

from __future__ import annotations

from experience_apis.portal.app import SERVICE as PORTAL
from experience_apis.shopify.app import SERVICE as SHOPIFY_INTAKE
from experience_apis.storefront.app import SERVICE as STOREFRONT
from gateway.app import SERVICE as GATEWAY
from process_apis.inventory.app import SERVICE as INVENTORY
from process_apis.orders.app import SERVICE as ORDERS
from process_apis.returns.app import SERVICE as RETURNS
from service_kit.app import ServiceDefinition
from system_apis.erp.app import SERVICE as ERP
from system_apis.shopify.app import SERVICE as SHOPIFY
from system_apis.tax.app import SERVICE as TAX
from system_apis.wms.app import SERVICE as WMS

__all__ = ["GATEWAY", "SERVICES", "get_service"]

SERVICES: tuple[ServiceDefinition, ...] = (
    ERP,
    WMS,
    TAX,
    SHOPIFY,
    INVENTORY,
    ORDERS,
    RETURNS,
    STOREFRONT,
    SHOPIFY_INTAKE,
    PORTAL,
    GATEWAY,
)


def get_service(name: str) -> ServiceDefinition:
    for service in SERVICES:
        if service.name == name:
            return service
    known = ", ".join(s.name for s in SERVICES)
    raise LookupError(f"unknown service {name!r}; known services: {known}")
