"""Demo data for tenant ``demo`` (shop ``demo.myshopify.com``): an apparel catalogue stocked at two
distribution centres and a New York store. Loaded through each service's own business layer, so the
outbox announces it and the inventory process learns it the same way it learns everything else."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from canonical import Address, Money
from experience_apis.shopify.models import ShopRecord
from service_kit.database import Database
from service_kit.settings import Settings
from system_apis.erp.entities import LegalEntityService, PriceListService
from system_apis.erp.entity_schemas import LegalEntityWrite, PriceListWrite, SkuPrice
from system_apis.erp.schemas import CustomerWrite, ItemWrite
from system_apis.erp.service import CatalogService, CustomerService
from system_apis.shopify.schemas import ShopConnectionWrite
from system_apis.shopify.shop import ShopSetupService
from system_apis.tax.jurisdictions import ExemptionService, JurisdictionService
from system_apis.tax.schemas import ExemptionWrite, JurisdictionWrite
from system_apis.wms.partners import PartnerService
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

# A 3PL node run by partner ``acme-3pl`` (its webhooks are signed with OMNIGATE_DEMO_WEBHOOK_SECRET). It holds
# footwear and hoodies only, so the README's featured SKU keeps its round numbers.
DEMO_3PL_PARTNER = "acme-3pl"
_3PL_LOCATION = (
    "3PL-ACME",
    LocationWrite(
        name="Acme Logistics, Secaucus",
        kind="3pl",
        address=Address(
            line1="500 Meadowlands Pkwy",
            city="Secaucus",
            region_code="US-NJ",
            postal_code="07094",
            country_code="US",
        ),
        ships_to_regions=["US"],
        operator=DEMO_3PL_PARTNER,
    ),
)
_3PL_STOCK = {"HOODIE-GRY-M": 40, "HOODIE-GRY-L": 35, "SNEAKER-WHT-9": 18, "SNEAKER-WHT-10": 22, "SNEAKER-WHT-11": 15}

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
            price_list="RETAIL-USD",
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
    ("WEB-GUEST", CustomerWrite(first_name="Web", last_name="Guest")),
)
_LEGAL_ENTITY = (
    "US01",
    LegalEntityWrite(
        name="Omnigate Retail US Inc.",
        currency="USD",
        country_code="US",
        is_default=True,
        guest_customer_id="WEB-GUEST",
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
                    tax_code="standard" if product_type == "Accessories" else "clothing",
                    active=active,
                ),
            )
        await LegalEntityService(session).upsert(tenant, *_LEGAL_ENTITY)
        retail = [
            SkuPrice(sku=sku, unit_price=Money(amount=Decimal(price), currency="USD"))
            for sku, _title, _type, price, _active in _ITEMS
        ]
        await PriceListService(session).upsert(
            tenant, "RETAIL-USD", PriceListWrite(name="Retail (US)", currency="USD", prices=retail)
        )
        customers = CustomerService(session)
        for customer_id, customer in _CUSTOMERS:
            await customers.upsert_customer(tenant, customer_id, customer)
    return True


async def seed_wms(database: Database, tenant: str = DEMO_TENANT, *, webhook_secret: str | None = None) -> bool:
    """Locations and stock; with ``webhook_secret``, also the 3PL partner that signs with it."""
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
        code, location = _3PL_LOCATION
        await locations.upsert_location(tenant, code, location)
        for sku, on_hand in _3PL_STOCK.items():
            await inventory.record_count(tenant, code, sku, PositionCount(on_hand=on_hand, reason="initial_load"))
        partners = PartnerService(session)
        if webhook_secret is not None and not await partners.list_partners(tenant):
            await partners.add(DEMO_3PL_PARTNER, tenant=tenant, name="Acme Logistics (demo)", secret=webhook_secret)
    return True


DEMO_SHOP = "demo.myshopify.com"


async def seed_shopify_intake(database: Database, tenant: str, *, webhook_secret: str) -> bool:
    """The demo shop, whose webhooks are signed with ``OMNIGATE_DEMO_WEBHOOK_SECRET``."""
    async with database.transaction() as session:
        if await session.get(ShopRecord, DEMO_SHOP) is not None:
            return False
        session.add(
            ShopRecord(shop_domain=DEMO_SHOP, tenant=tenant, secret=webhook_secret, updated_at=datetime.now(UTC))
        )
    return True


# Combined rates for the demo (illustrative, not tax advice): New York City (postal codes 100..) taxes
# clothing at 0 and everything else at 8.875%; the rest of New York State at 4% state + a typical 4% local.
_JURISDICTIONS: tuple[tuple[str, JurisdictionWrite], ...] = (
    (
        "US-NY",
        JurisdictionWrite(
            name="New York State",
            country_code="US",
            region_code="US-NY",
            rates={"standard": "0.08", "clothing": "0.04", "food": "0"},
            shipping_taxable=True,
        ),
    ),
    (
        "US-NY-NYC",
        JurisdictionWrite(
            name="New York City",
            country_code="US",
            region_code="US-NY",
            postal_prefix="100",
            rates={"standard": "0.08875", "clothing": "0", "food": "0"},
            shipping_taxable=True,
        ),
    ),
    (
        "US-CA",
        JurisdictionWrite(
            name="California",
            country_code="US",
            region_code="US-CA",
            rates={"standard": "0.0725", "clothing": "0.0725", "food": "0"},
            shipping_taxable=False,
        ),
    ),
    (
        "US-OR",
        JurisdictionWrite(
            name="Oregon (no sales tax)", country_code="US", region_code="US-OR", rates={"standard": "0"}
        ),
    ),
    (
        "CA-ON",
        JurisdictionWrite(
            name="Ontario (HST)",
            country_code="CA",
            region_code="CA-ON",
            rates={"standard": "0.13", "clothing": "0.13", "food": "0"},
            shipping_taxable=True,
        ),
    ),
    (
        "GB",
        JurisdictionWrite(
            name="United Kingdom (VAT)",
            country_code="GB",
            rates={"standard": "0.20", "clothing": "0.20", "food": "0"},
            shipping_taxable=True,
        ),
    ),
)


async def seed_tax(database: Database, tenant: str = DEMO_TENANT) -> bool:
    """Demo jurisdictions, and the exemption certificate of the ERP's tax-exempt customer CUST-1003."""
    async with database.transaction() as session:
        jurisdictions = JurisdictionService(session)
        if await jurisdictions.list_jurisdictions(tenant):
            return False
        for code, jurisdiction in _JURISDICTIONS:
            await jurisdictions.upsert(tenant, code, jurisdiction)
        await ExemptionService(session).upsert(
            tenant, "CERT-1003-NY", ExemptionWrite(customer_id="CUST-1003", scope="US-NY")
        )
    return True


DEMO_SHOPIFY_LOCATIONS = {"DC-EAST": "71000000001", "DC-WEST": "71000000002", "STORE-NYC": "71000000003"}


def demo_inventory_item_id(index: int) -> str:
    """The demo shop's inventory item for the ``index``-th demo SKU."""
    return str(45_000_000_001 + index)


async def seed_shopify(database: Database, tenant: str = DEMO_TENANT) -> bool:
    """The demo shop on the reference backend (nothing is sent anywhere), every SKU and location linked."""
    async with database.transaction() as session:
        setup = ShopSetupService(session)
        if await setup.shops.get(tenant) is not None:
            return False
        shop = ShopConnectionWrite(shop_domain=DEMO_SHOP, access_token="shpat_demo_reference", backend="reference")
        await setup.put_connection(tenant, shop)
        for index, (sku, *_rest) in enumerate(_ITEMS):
            await setup.link_item(tenant, sku, demo_inventory_item_id(index))
        for code, location_id in DEMO_SHOPIFY_LOCATIONS.items():
            await setup.link_location(tenant, code, location_id)
    return True


async def seed_demo(settings: Settings, tenant: str = DEMO_TENANT) -> dict[str, bool]:
    """Seed every service that has demo data; returns which ones were seeded (empty ones only)."""
    seeded: dict[str, bool] = {}
    seeds: tuple[tuple[str, Callable[[Database, str], Awaitable[bool]]], ...] = (
        ("erp", seed_erp),
        ("wms", functools.partial(seed_wms, webhook_secret=settings.demo_webhook_secret)),
        ("tax", seed_tax),
        ("shopify_intake", functools.partial(seed_shopify_intake, webhook_secret=settings.demo_webhook_secret)),
        ("shopify", seed_shopify),
    )
    for name, seed in seeds:
        database = Database(settings.database_url_for(name))
        try:
            seeded[name] = await seed(database, tenant)
        finally:
            await database.dispose()
    return seeded
