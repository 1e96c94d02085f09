"""Builds the tax system API."""

from __future__ import annotations

from litestar import Litestar

from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app
from system_apis.tax.controllers import (
    CalculationController,
    ExemptionController,
    JurisdictionController,
    TransactionController,
)
from system_apis.tax.models import TaxBase, TaxOutbox

__all__ = ["SERVICE", "create_app"]

DESCRIPTION = """Sales tax by ship-to jurisdiction: rates per jurisdiction and tax code, shipping taxability,
customer exemptions; `calculate` (no side effect), committed transactions per order, and refunds.

**Rounding.** Tax is computed per line as `amount * rate` and rounded half up (0.005 -> 0.01) to the
currency's ISO 4217 minor unit (2 decimals for USD, GBP, CAD; 0 for JPY; 3 for KWD); shipping likewise;
totals are the sums of the rounded amounts. Amounts are decimal strings and must already be in the
currency's minor unit.

**Jurisdiction.** The most specific jurisdiction containing the ship-to address applies: a postal code
prefix beats a state or province, which beats a country. None: 422 problem `unknown_jurisdiction`.
Tax codes a jurisdiction does not list are taxed at its `standard` rate; `exempt` is never taxed.
"""


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="tax",
        runtime=runtime,
        route_handlers=[JurisdictionController, ExemptionController, CalculationController, TransactionController],
        title="Omnigate tax system API",
        description=DESCRIPTION,
        outbox=TaxOutbox,
    )


SERVICE = ServiceDefinition(
    name="tax",
    layer="system",
    create_app=create_app,
    apis=(ApiVersion("tax", 1),),
    metadata=TaxBase.metadata,
    default_port=8103,
)
