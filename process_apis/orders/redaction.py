"""Personal data out of worklist snapshots: an agent needs the shape of what failed, not who it was for."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REDACTED", "redact_personal_data"]

REDACTED = "[redacted]"
_PERSONAL_KEYS = frozenset(
    {
        "email", "contact_email", "phone", "first_name", "last_name", "company",
        "address1", "address2", "line1", "line2", "zip", "postal_code", "latitude", "longitude",
        "browser_ip", "client_ip", "note", "customer_locale",
    }
)  # fmt: skip
_ADDRESS_MARKERS = frozenset({"address1", "line1", "zip", "postal_code"})
"""A mapping with one of these is an address (or a customer): its ``name`` is a person's, not a product's."""
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+\d[\d\s().-]{7,}\d|\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b|\(\d{3}\)\s?\d{3}[\s.-]\d{4}\b")
"""An international number (``+1 502 459 2181``) or a North American one written with separators; a bare run
of digits is an id (a line item, an order), not a phone number."""


def redact_personal_data(value: Any) -> Any:
    """A copy with personal fields replaced and e-mail addresses and phone numbers masked in free text.

    Codes that route and tax an order (country, region, city, SKU, amounts) stay: they are what an agent
    needs to see why it failed.
    """
    if isinstance(value, dict):
        personal = _PERSONAL_KEYS | ({"name"} if _ADDRESS_MARKERS & value.keys() else set())
        return {
            key: REDACTED if key in personal and item not in (None, "") else redact_personal_data(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_personal_data(item) for item in value]
    if isinstance(value, str):
        return _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, value))
    return value
