"""Addresses and baskets the tax tests ship to, and a look at the tax tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database

NYC = {"line1": "1 Broadway", "city": "New York", "region_code": "US-NY", "postal_code": "10004", "country_code": "US"}
ALBANY = {**NYC, "city": "Albany", "postal_code": "12207"}
PORTLAND = {
    "line1": "1 SW Main St",
    "city": "Portland",
    "region_code": "US-OR",
    "postal_code": "97204",
    "country_code": "US",
}
LA = {"line1": "1 Main St", "city": "Los Angeles", "region_code": "US-CA", "postal_code": "90012", "country_code": "US"}
TORONTO = {
    "line1": "1 King St W",
    "city": "Toronto",
    "region_code": "CA-ON",
    "postal_code": "M5H 1A1",
    "country_code": "CA",
}
LONDON = {"line1": "10 Downing St", "city": "London", "postal_code": "SW1A 2AA", "country_code": "GB"}
AUSTIN = {
    "line1": "1 Congress Ave",
    "city": "Austin",
    "region_code": "US-TX",
    "postal_code": "78701",
    "country_code": "US",
}


def basket(ship_to: dict[str, Any], currency: str = "USD", **fields: Any) -> dict[str, Any]:
    return {
        "ship_to": ship_to,
        "currency": currency,
        "customer_id": "CUST-1001",
        "lines": [
            {"line_id": "1", "sku": "TSHIRT-BLK-M", "tax_code": "clothing", "quantity": 2, "amount": "48.00"},
            {"line_id": "2", "sku": "CAP-NVY-OS", "quantity": 1, "amount": "19.99"},
        ],
        "shipping": "5.00",
        **fields,
    }


async def count(product: EmbeddedProduct, model: Any, *where: Any) -> int:
    database = Database(product.settings.database_url_for("tax"))
    try:
        async with database.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    finally:
        await database.dispose()
