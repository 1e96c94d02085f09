"""One trace across every hop: gateway, storefront, inventory, and the SQL behind them."""

from __future__ import annotations

import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from omnigate.demo import seed_erp, seed_wms
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from tests.helpers import eventually


async def test_a_storefront_call_is_one_trace_across_services_and_sql(
    product: EmbeddedProduct, gateway: httpx.AsyncClient
) -> None:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "services install the SDK provider"
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for name, seed in (("erp", seed_erp), ("wms", seed_wms)):
        database = Database(product.settings.database_url_for(name))
        try:
            await seed(database)
        finally:
            await database.dispose()

    async def ask() -> httpx.Response:
        return await gateway.get("/storefront/v1/availability", params={"sku": "TSHIRT-BLK-M"})

    await eventually(ask, lambda r: r.status_code == 200 and r.json()["locations"])
    exporter.clear()
    response = await ask()

    trace_id = int(response.headers["x-trace-id"], 16)
    spans = [span for span in exporter.get_finished_spans() if span.context.trace_id == trace_id]
    # Server-side spans of each hop (in embedded mode the in-process hops are nested spans, not remote ones).
    served = {
        str(span.attributes.get("http.target"))
        for span in spans
        if span.attributes and "http.server_name" in span.attributes
    }
    assert {"/storefront/v1/availability", "/inventory/v1/availability"} <= served
    assert any(span.attributes.get("db.system") in {"sqlite", "postgresql"} for span in spans), "SQL is traced"
