"""3PL webhook signatures, Stripe style: ``Omnigate-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256(partner secret, ``"<t>." + raw body``). The timestamp is signed too, so a captured delivery
cannot be replayed later than :data:`TOLERANCE`; ``Omnigate-Delivery-Id`` dedupes honest retries.

The headers do not start with ``X-Omnigate-``: the gateway strips those from every incoming request."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

__all__ = ["DELIVERY_ID_HEADER", "SIGNATURE_HEADER", "TOLERANCE", "compute_signature", "sign", "verify"]

SIGNATURE_HEADER = "Omnigate-Signature"
DELIVERY_ID_HEADER = "Omnigate-Delivery-Id"
TOLERANCE = timedelta(minutes=5)
_SCHEME = "v1"


def compute_signature(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The ``Omnigate-Signature`` value a partner sends for ``body`` at ``timestamp``."""
    return f"t={timestamp},{_SCHEME}={compute_signature(body, secret, timestamp)}"


def _parse(header: str) -> tuple[int, list[str]] | None:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == _SCHEME and value:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(header: str | None, body: bytes, secrets: Iterable[str], *, now: datetime) -> bool:
    """Whether any ``v1`` signature matches any secret in force, with a timestamp within the tolerance.

    Constant-time per comparison; every secret and signature is compared, so timing reveals nothing."""
    parsed = _parse(header) if header else None
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return False
    matched = False
    for secret in secrets:
        expected = compute_signature(body, secret, timestamp)
        for signature in signatures:
            matched |= hmac.compare_digest(expected, signature)
    return matched
