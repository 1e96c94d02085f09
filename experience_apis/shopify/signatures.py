"""Shopify's webhook headers and signature: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(app secret,
raw body)). Newer event webhooks send the same headers without the ``X-`` prefix; both are read."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

__all__ = ["WebhookHeaders", "read_headers", "sign", "signature_matches"]


class WebhookHeaders(msgspec.Struct, frozen=True, kw_only=True):
    topic: str | None
    hmac_sha256: str | None
    shop_domain: str | None
    webhook_id: str | None
    event_id: str | None = None
    triggered_at: datetime | None = None
    api_version: str | None = None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(f"x-shopify-{name}") or headers.get(f"shopify-{name}")
    return value.strip() if value else None


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def read_headers(headers: Mapping[str, str]) -> WebhookHeaders:
    return WebhookHeaders(
        topic=_header(headers, "topic"),
        hmac_sha256=_header(headers, "hmac-sha256"),
        shop_domain=(_header(headers, "shop-domain") or "").lower() or None,
        webhook_id=_header(headers, "webhook-id"),
        event_id=_header(headers, "event-id"),
        triggered_at=_timestamp(_header(headers, "triggered-at")),
        api_version=_header(headers, "api-version"),
    )


def sign(body: bytes, secret: str) -> str:
    """The signature Shopify sends for ``body``: what a test or the README's curl example computes."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(body: bytes, signature: str, secrets: Iterable[str]) -> bool:
    """Constant-time check against each secret in force (two while a secret is being rotated)."""
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(sign(body, secret), signature)
    return matched
