"""Demo data for tenant ``demo`` (shop ``demo.myshopify.com``): an apparel catalogue stocked at two
distribution centres and a New York store. Loaded through each service's own business layer, so the
outbox announces it and the inventory process learns it the same way it learns everything else."""

from __future__ import annotations

from decimal import Decimal

from canonical import Address, Money
from service_kit.database import Database
from service_kit.settings import Settings
from system_apis.erp.schemas import CustomerWrite, ItemWrite
from system_apis.erp.service import CatalogService, CustomerService
from system_apis.wms.schemas import LocationWrite, PositionCount
from system_apis.wms.service import InventoryService, LocationService

__all__ = ["DEMO_TENANT", "seed_demo"]

DEMO_TENANT = "demo"
DEMO_SHOP = "demo.myshopify.com"

# sku, title, product type, price (USD), active
_ITEMS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("TSHIRT-BLK-S", "Classic Tee — Black / S", "T-Shirts", "24.00", True),
    ("TSHIRT-BLK-M", "Classic Tee — Black / M", "T-Shirts", "24.00", True),
    ("TSHIRT-BLK-L", "Classic Tee — Black / L", "T-Shirts", "24.00", True),
    ("TSHIRT-WHT-S", "Classic Tee — White / S", "T-Shirts", "24.00", True),
    ("TSHIRT-WHT-M", "Classic Tee — White / M", "T-Shirts", "24.00", True),
    ("TSHIRT-WHT-L", "Classic Tee — White / L", "T-Shirts", "24.00", True),
    ("HOODIE-GRY-M", "Fleece Hoodie — Grey / M", "Hoodies", "68.00", True),
    ("HOODIE-GRY-L", "Fleece Hoodie — Grey / L", "Hoodies", "68.00", True),
    ("JEANS-IND-30", "Slim Jeans — Indigo / 30", "Jeans", "89.50", True),
    ("JEANS-IND-32", "Slim Jeans — Indigo / 32", "Jeans", "89.50", True),
    ("JEANS-IND-34", "Slim Jeans — Indigo / 34", "Jeans", "89.50", True),
    ("CAP-NVY-OS", "Canvas Cap — Navy", "Accessories", "19.99", True),
    ("SOCKS-BLK-3PK", "Crew Socks — Black, 3 pack", "Accessories", "14.00", True),
    ("BEANIE-RED-OS", "Rib Beanie — Red", "Accessories", "22.00", True),
    ("SNEAKER-WHT-9", "Court Sneaker — White / 9", "Footwear", "110.00", True),
    ("SNEAKER-WHT-10", "Court Sneaker — White / 10", "Footwear", "110.00", True),
    ("SNEAKER-WHT-11", "Court Sneaker — White / 11", "Footwear", "110.00", True),
    ("TOTE-CNV-OS", "Canvas Tote", "Accessories", "29.00", True),
    ("BELT-BRN-M", "Leather Belt — Brown / M", "Accessories", "45.00", True),
    ("SCARF-WOL-OS", "Wool Scarf (discontinued)", "Accessories", "39.00", False),
)

_LOCATIONS: tuple[tuple[str, LocationWrite], ...] = (
    (
        "DC-EAST",
        LocationWrite(
            name="East distribution centre",
            kind="distribution_center",
            address=Address(
                line1="200 Raritan Center Pkwy",
                city="Edison",
                region_code="US-NJ",
                postal_code="08837",
                country_code="US",
            ),
            ships_to_regions=["US"],
        ),
    ),
    (
        "DC-WEST",
        LocationWrite(
            name="West distribution centre",
            kind="distribution_center",
            address=Address(
                line1="1 Reno Logistics Way",
                city="Reno",
                region_code="US-NV",
                postal_code="89502",
                country_code="US",
            ),
            ships_to_regions=["US"],
        ),
    ),
    (
        "STORE-NYC",
        LocationWrite(
            name="SoHo flagship store",
            kind="store",
            address=Address(
                line1="120 Spring St",
                city="New York",
                region_code="US-NY",
                postal_code="10012",
                country_code="US",
            ),
            ships_to_regions=["US-NY", "US-NJ", "US-CT"],
        ),
    ),
)

# The README's example SKU, with round numbers: DC-EAST 100, DC-WEST 37, STORE-NYC 9 available.
_FEATURED = {
    "DC-EAST": PositionCount(on_hand=120, committed=8, damaged=2, safety_stock=10, reason="initial_load"),
    "DC-WEST": PositionCount(on_hand=45, committed=3, safety_stock=5, in_transit=24, reason="initial_load"),
    "STORE-NYC": PositionCount(on_hand=12, damaged=1, safety_stock=2, reason="initial_load"),
}

_CUSTOMERS: tuple[tuple[str, CustomerWrite], ...] = (
    (
        "CUST-1001",
        CustomerWrite(
            email="ada@example.com",
            first_name="Ada",
            last_name="Lovelace",
            credit_limit=Money(amount=Decimal("5000.00"), currency="USD"),
        ),
    ),
    (
        "CUST-1002",
        CustomerWrite(
            email="grace@example.com",
            first_name="Grace",
            last_name="Hopper",
            status="credit_hold",
            credit_limit=Money(amount=Decimal("500.00"), currency="USD"),
        ),
    ),
    (
        "CUST-1003",
        CustomerWrite(email="alan@example.com", first_name="Alan", last_name="Turing", tax_exempt=True),
    ),
)


def _count(index: int, location: str) -> PositionCount:
    """Deterministic, varied stock so every demo SKU has a believable spread."""
    base = {"DC-EAST": 60, "DC-WEST": 30, "STORE-NYC": 6}[location]
    on_hand = base + (index * 7) % 25
    return PositionCount(
        on_hand=on_hand,
        committed=index % 4,
        damaged=1 if index % 5 == 0 else 0,
        safety_stock=2 if location == "STORE-NYC" else 5,
        reason="initial_load",
    )


async def seed_erp(database: Database, tenant: str = DEMO_TENANT) -> bool:
    async with database.transaction() as session:
        catalog = CatalogService(session)
        if await catalog.has_items(tenant):
            return False
        for sku, title, product_type, price, active in _ITEMS:
            await catalog.upsert_item(
                tenant,
                sku,
                ItemWrite(
                    title=title,
                    product_type=product_type,
                    price=Money(amount=Decimal(price), currency="USD"),
                    tax_code="PC040100",
                    active=active,
                ),
            )
        customers = CustomerService(session)
        for customer_id, customer in _CUSTOMERS:
            await customers.upsert_customer(tenant, customer_id, customer)
    return True


async def seed_wms(database: Database, tenant: str = DEMO_TENANT) -> bool:
    async with database.transaction() as session:
        locations = LocationService(session)
        if await locations.list_locations(tenant):
            return False
        for code, location in _LOCATIONS:
            await locations.upsert_location(tenant, code, location)
        inventory = InventoryService(session)
        for index, (sku, *_rest) in enumerate(_ITEMS):
            if sku == "BELT-BRN-M":
                continue  # listed in the ERP, never stocked yet: available nowhere
            for code, _location in _LOCATIONS:
                count = _FEATURED[code] if sku == "TSHIRT-BLK-M" else _count(index, code)
                await inventory.record_count(tenant, code, sku, count)
    return True


async def seed_demo(settings: Settings, tenant: str = DEMO_TENANT) -> dict[str, bool]:
    """Seed every service that has demo data; returns which ones were seeded (empty ones only)."""
    seeded: dict[str, bool] = {}
    for name, seed in (("erp", seed_erp), ("wms", seed_wms)):
        database = Database(settings.database_url_for(name))
        try:
            seeded[name] = await seed(database, tenant)
        finally:
            await database.dispose()
    return seeded
