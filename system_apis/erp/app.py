"""Builds the ERP system API; the backend (reference or NetSuite) is chosen by :class:`ErpSettings`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.datastructures import State

from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app
from service_kit.health import ReadinessCheck
from system_apis.erp.adapters import ErpBackend
from system_apis.erp.controllers import CustomerController, ItemController
from system_apis.erp.entity_controllers import LegalEntityController, PriceListController
from system_apis.erp.models import ErpBase, ErpOutbox
from system_apis.erp.sales_controllers import CreditMemoController, InvoiceController, SalesOrderController
from system_apis.erp.settings import ErpSettings, build_backend

__all__ = ["SERVICE", "build_app", "create_app"]


async def _backend_check(state: State) -> None:
    backend: ErpBackend = state.erp_backend
    await backend.ping()


def build_app(runtime: ServiceRuntime, erp_settings: ErpSettings) -> Litestar:
    """The ERP app on the given backend settings (tests pass theirs; the CLI reads the environment)."""
    build_backend(erp_settings)  # fail fast on incomplete settings, before anything starts

    @contextlib.asynccontextmanager
    async def backend_lifespan(app: Litestar) -> AsyncIterator[None]:
        backend = build_backend(erp_settings)
        app.state.erp_backend = backend
        try:
            yield
        finally:
            await backend.aclose()

    return create_service_app(
        name="erp",
        runtime=runtime,
        route_handlers=[
            ItemController,
            CustomerController,
            LegalEntityController,
            PriceListController,
            SalesOrderController,
            InvoiceController,
            CreditMemoController,
        ],
        title="Omnigate ERP system API",
        description=(
            "Item master, customers, legal entities and price lists; sales orders, shipments, invoices and"
            " credit memos of the system of record, in the canonical model."
        ),
        outbox=ErpOutbox,
        readiness_checks=[ReadinessCheck("backend", _backend_check, timeout=5.0)],
        lifespan=[backend_lifespan],
    )


def create_app(runtime: ServiceRuntime) -> Litestar:
    return build_app(runtime, ErpSettings.from_env())


SERVICE = ServiceDefinition(
    name="erp",
    layer="system",
    create_app=create_app,
    apis=(ApiVersion("erp", 1),),
    metadata=ErpBase.metadata,
    default_port=8101,
)
