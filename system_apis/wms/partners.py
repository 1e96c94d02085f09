"""3PL partners: onboarding (codes and webhook secrets, two in force while one is rotated) and their signed
shipment confirmations (``POST /webhooks/3pl/{partner}``, forwarded unchanged by the gateway).

A delivery is verified before anything is read from it; a bad signature is a 401 and nothing is stored. A
verified delivery is recorded once per ``Omnigate-Delivery-Id`` together with its effect (the shipment), so
a retry of a delivery that was applied answers ``duplicate`` and changes nothing, and one that was refused
(a 4xx) left nothing behind and is evaluated again. A partner may only confirm shipments from locations it
operates (``operator`` of the location). Never commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import ShipmentNotice, ShippedLine
from service_kit.problems import BadRequest, Conflict, Forbidden, NotFound, Problem
from system_apis.wms.errors import InvalidField
from system_apis.wms.fulfillment import FulfillmentService
from system_apis.wms.models import PartnerDeliveryRecord, PartnerRecord
from system_apis.wms.repository import FulfillmentRepository, LocationRepository, PartnerRepository
from system_apis.wms.schemas import Partner, PartnerShipmentConfirmation, WebhookReceipt
from system_apis.wms.signatures import DELIVERY_ID_HEADER, SIGNATURE_HEADER, verify

__all__ = ["DEFAULT_ROTATION_GRACE", "InvalidWebhookSignature", "PartnerService", "PartnerWebhookIntake"]

DEFAULT_ROTATION_GRACE = timedelta(hours=24)
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_confirmation = msgspec.json.Decoder(PartnerShipmentConfirmation)


class InvalidWebhookSignature(Problem):
    """Unknown partner, stale timestamp or a signature that does not match: one answer for all, nothing stored."""

    status = 401
    code = "invalid_webhook_signature"
    title_text = "Unauthorized"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class PartnerService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.partners = PartnerRepository(session)

    async def add(self, code: str, *, tenant: str, name: str, secret: str | None = None) -> tuple[Partner, str]:
        """Onboard a partner; returns it and its webhook secret (shown once)."""
        if not _CODE.match(code):
            raise BadRequest(
                f"partner code {code!r} must be lowercase letters, digits and dashes", code="invalid_partner"
            )
        if not _TENANT.match(tenant):
            raise BadRequest(f"tenant {tenant!r} is not a valid tenant id", code="invalid_tenant")
        if await self.partners.get(code) is not None:
            raise Conflict(f"partner '{code}' already exists", code="partner_exists")
        now = datetime.now(UTC)
        secret = secret or new_secret()
        record = PartnerRecord(
            code=code,
            tenant=tenant,
            name=name,
            secret=secret,
            previous_secret=None,
            previous_secret_expires_at=None,
            created_at=now,
            updated_at=now,
        )
        self.partners.add(record)
        await self.session.flush()
        return _partner(record), secret

    async def rotate_secret(
        self, code: str, *, grace: timedelta = DEFAULT_ROTATION_GRACE, secret: str | None = None
    ) -> tuple[Partner, str]:
        """A new secret; the current one stays valid for ``grace`` (0 ends it at once)."""
        record = await self.partners.get(code, for_update=True)
        if record is None:
            raise NotFound(f"partner '{code}' does not exist", code="unknown_partner")
        now = datetime.now(UTC)
        new = secret or new_secret()
        record.previous_secret = record.secret if grace > timedelta(0) else None
        record.previous_secret_expires_at = now + grace if grace > timedelta(0) else None
        record.secret, record.updated_at = new, now
        await self.session.flush()
        return _partner(record), new

    async def list_partners(self, tenant: str | None = None) -> list[Partner]:
        return [_partner(r) for r in await self.partners.list(tenant)]


class PartnerWebhookIntake:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.partners = PartnerRepository(session)
        self.requests = FulfillmentRepository(session)
        self.locations = LocationRepository(session)

    async def receive(
        self, partner_code: str, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
    ) -> WebhookReceipt:
        now = now or datetime.now(UTC)
        partner = await self._verified(partner_code, headers.get(SIGNATURE_HEADER.lower()), body, now)
        delivery_id = (headers.get(DELIVERY_ID_HEADER.lower()) or "").strip()
        if not delivery_id or len(delivery_id) > 255:
            raise BadRequest(
                f"header '{DELIVERY_ID_HEADER}' (1 to 255 characters) is required", code="missing_delivery_id"
            )
        if (earlier := await self.partners.delivery(partner.code, delivery_id)) is not None:
            return await self._duplicate(partner, delivery_id, earlier.fulfillment_request_id)
        try:
            confirmation = _confirmation.decode(body)
        except msgspec.ValidationError as exc:
            raise InvalidField(_path(str(exc)), str(exc)) from exc
        except msgspec.DecodeError as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}", code="invalid_json") from exc
        delivery = PartnerDeliveryRecord(
            partner=partner.code,
            tenant=partner.tenant,
            delivery_id=delivery_id,
            event_type=confirmation.type,
            fulfillment_request_id=confirmation.fulfillment_request_id,
            received_at=now,
            body=body,
        )
        try:
            async with self.session.begin_nested():
                self.partners.add(delivery)
                await self.session.flush()
        except IntegrityError:  # the same delivery, concurrently: the other request applies it
            return await self._duplicate(partner, delivery_id, confirmation.fulfillment_request_id)
        request = await self.requests.get(partner.tenant, confirmation.fulfillment_request_id)
        if request is None:
            raise InvalidField(
                "fulfillment_request_id",
                f"no fulfillment request '{confirmation.fulfillment_request_id}'",
                code="unknown_fulfillment_request",
            )
        location = await self.locations.get(partner.tenant, request.location_code)
        if location is None or location.operator != partner.code:
            raise Forbidden(
                f"partner '{partner.code}' does not operate location '{request.location_code}'",
                code="not_location_operator",
            )
        shipment = confirmation.shipment
        notice = ShipmentNotice(
            tenant=partner.tenant,
            shipment_id=shipment.shipment_id,
            order_id=shipment.order_id or request.order_id,
            location_id=shipment.location_id or request.location_code,
            lines=[ShippedLine(line_id=line.line_id, sku=line.sku, quantity=line.quantity) for line in shipment.lines],
            shipped_at=shipment.shipped_at,
            packages=list(shipment.packages),
        )
        result = await FulfillmentService(self.session).ship(partner.tenant, request.request_id, notice)
        return WebhookReceipt(
            delivery_id=delivery_id,
            status="accepted",
            fulfillment_request_id=result.id,
            fulfillment_status=result.status,
        )

    async def _duplicate(self, partner: PartnerRecord, delivery_id: str, request_id: str | None) -> WebhookReceipt:
        request = await self.requests.get(partner.tenant, request_id) if request_id else None
        return WebhookReceipt(
            delivery_id=delivery_id,
            status="duplicate",
            fulfillment_request_id=request_id,
            fulfillment_status=request.status if request is not None else None,
        )

    async def _verified(self, code: str, header: str | None, body: bytes, now: datetime) -> PartnerRecord:
        partner = await self.partners.get(code) if _CODE.match(code) else None
        if partner is None:
            raise InvalidWebhookSignature("the partner is unknown or the signature does not match")
        in_force = [partner.secret]
        expires = partner.previous_secret_expires_at
        if partner.previous_secret and expires is not None and expires > now:
            in_force.append(partner.previous_secret)
        if not verify(header, body, in_force, now=now):
            raise InvalidWebhookSignature(
                "the partner is unknown or the signature does not match (or its timestamp is more than 5 minutes "
                "from now)"
            )
        return partner


def _path(message: str) -> str:
    """The field a msgspec error names (``... - at `$.shipment.lines[0].quantity```), without the ``$.``."""
    match = re.search(r"at `\$\.?([^`]*)`", message)
    return match[1] if match and match[1] else "body"


def _partner(record: PartnerRecord) -> Partner:
    return Partner(
        code=record.code,
        tenant=record.tenant,
        name=record.name,
        created_at=record.created_at,
        updated_at=record.updated_at,
        previous_secret_valid_until=record.previous_secret_expires_at if record.previous_secret else None,
    )
