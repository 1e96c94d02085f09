"""The tax reference data: jurisdictions with their rates, and customers' exemption certificates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import TaxExemption, TaxJurisdiction
from service_kit.problems import BadRequest, Conflict, NotFound
from system_apis.tax.calculation import STANDARD_CODE, normalize_postal_code
from system_apis.tax.models import ExemptionRecord, JurisdictionRecord
from system_apis.tax.repository import ExemptionRepository, JurisdictionRepository
from system_apis.tax.schemas import ExemptionWrite, JurisdictionWrite

__all__ = [
    "ConcurrentChange",
    "ExemptionService",
    "JurisdictionOverlaps",
    "JurisdictionService",
    "UnknownJurisdictionCode",
    "exemption_document",
    "jurisdiction_document",
]


class UnknownJurisdictionCode(NotFound):
    code = "unknown_jurisdiction_code"


class JurisdictionOverlaps(Conflict):
    code = "jurisdiction_overlaps"


class ConcurrentChange(Conflict):
    code = "concurrent_change"


async def _flush(session: AsyncSession, what: str) -> None:
    """Flush in a savepoint: a concurrent create of the same record is a 409 to retry, not a 500."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise ConcurrentChange(f"{what} was changed by a concurrent request; retry") from None


class JurisdictionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.jurisdictions = JurisdictionRepository(session)

    async def list_jurisdictions(self, tenant: str, *, country_code: str | None = None) -> list[TaxJurisdiction]:
        return [jurisdiction_document(r) for r in await self.jurisdictions.list(tenant, country_code=country_code)]

    async def get(self, tenant: str, code: str) -> TaxJurisdiction:
        record = await self.jurisdictions.get(tenant, code)
        if record is None:
            raise UnknownJurisdictionCode(f"there is no jurisdiction '{code}'")
        return jurisdiction_document(record)

    async def in_country(self, tenant: str, country_code: str) -> list[TaxJurisdiction]:
        return [jurisdiction_document(r) for r in await self.jurisdictions.in_country(tenant, country_code)]

    async def upsert(self, tenant: str, code: str, change: JurisdictionWrite) -> tuple[TaxJurisdiction, bool]:
        """Create or replace a jurisdiction; returns it and whether it was created."""
        _check_jurisdiction(change)
        region = change.region_code or ""
        prefix = normalize_postal_code(change.postal_prefix)
        same_scope = await self.jurisdictions.covering(
            tenant, country_code=change.country_code, region_code=region, postal_prefix=prefix
        )
        if same_scope is not None and same_scope.code != code:
            raise JurisdictionOverlaps(
                f"jurisdiction '{same_scope.code}' already covers this country, region and postal prefix",
                extra={"jurisdiction": same_scope.code},
            )
        record = await self.jurisdictions.get(tenant, code, for_update=True)
        created = record is None
        if record is None:
            record = JurisdictionRecord(tenant=tenant, code=code)
            self.jurisdictions.add(record)
        record.name = change.name
        record.country_code = change.country_code
        record.region_code = region
        record.postal_prefix = prefix
        record.rates = {tax_code: str(Decimal(rate).normalize()) for tax_code, rate in sorted(change.rates.items())}
        record.shipping_taxable = change.shipping_taxable
        record.updated_at = datetime.now(UTC)
        await _flush(self.session, f"jurisdiction '{code}'")
        return jurisdiction_document(record), created


def _check_jurisdiction(change: JurisdictionWrite) -> None:
    errors: list[dict[str, str]] = []
    if STANDARD_CODE not in change.rates:
        errors.append({"field": "rates", "source": "body", "message": "must hold a 'standard' rate"})
    if change.region_code is not None and not change.region_code.startswith(change.country_code + "-"):
        errors.append({"field": "region_code", "source": "body", "message": "must be in country_code"})
    if change.postal_prefix is not None and not normalize_postal_code(change.postal_prefix):
        errors.append({"field": "postal_prefix", "source": "body", "message": "must hold a letter or digit"})
    if errors:
        fields = ", ".join(f"body '{e['field']}'" for e in errors)
        raise BadRequest(f"Invalid {fields}: {errors[0]['message']}", code="invalid_request", extra={"errors": errors})


class ExemptionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.exemptions = ExemptionRepository(session)

    async def list_exemptions(self, tenant: str, *, customer_id: str | None = None) -> list[TaxExemption]:
        return [exemption_document(r) for r in await self.exemptions.list(tenant, customer_id=customer_id)]

    async def upsert(self, tenant: str, certificate_id: str, change: ExemptionWrite) -> tuple[TaxExemption, bool]:
        record = await self.exemptions.get(tenant, certificate_id, for_update=True)
        created = record is None
        if record is None:
            record = ExemptionRecord(tenant=tenant, certificate_id=certificate_id)
            self.exemptions.add(record)
        record.customer_id = change.customer_id
        record.scope = change.scope or ""
        record.valid_until = change.valid_until
        record.updated_at = datetime.now(UTC)
        await _flush(self.session, f"exemption '{certificate_id}'")
        return exemption_document(record), created


def jurisdiction_document(record: JurisdictionRecord) -> TaxJurisdiction:
    rates: dict[str, Any] = {code: Decimal(rate).normalize() for code, rate in record.rates.items()}
    return TaxJurisdiction(
        code=record.code,
        name=record.name,
        country_code=record.country_code,
        region_code=record.region_code or None,
        postal_prefix=record.postal_prefix or None,
        rates=rates,
        shipping_taxable=record.shipping_taxable,
        updated_at=record.updated_at,
    )


def exemption_document(record: ExemptionRecord) -> TaxExemption:
    return TaxExemption(
        certificate_id=record.certificate_id,
        customer_id=record.customer_id,
        scope=record.scope or None,
        valid_until=record.valid_until,
        updated_at=record.updated_at,
    )
