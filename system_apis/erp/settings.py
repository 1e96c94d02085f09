"""Which ERP keeps the books, from ``OMNIGATE_ERP_BACKEND`` and ``OMNIGATE_NETSUITE_*``; read once at start-up.

| variable | meaning |
|---|---|
| ``OMNIGATE_ERP_BACKEND`` | ``reference`` (default: the service's own tables) or ``netsuite`` |
| ``OMNIGATE_NETSUITE_ENDPOINT`` | ``https://<account>.suitetalk.api.netsuite.com`` |
| ``OMNIGATE_NETSUITE_ACCOUNT`` | account id, sent as the OAuth ``realm`` (``1234567_SB1``) |
| ``OMNIGATE_NETSUITE_CONSUMER_KEY`` / ``_CONSUMER_SECRET`` / ``_TOKEN_ID`` / ``_TOKEN_SECRET`` | TBA credentials |
| ``OMNIGATE_NETSUITE_CLIENT_ID`` | OAuth 2.0 client credentials (M2M) instead of TBA: the integration's client id |
| ``OMNIGATE_NETSUITE_CERTIFICATE_ID`` | with it: the certificate id of the integration's M2M mapping |
| ``OMNIGATE_NETSUITE_PRIVATE_KEY_FILE`` | with it: PEM file of that certificate's private key |
| ``OMNIGATE_NETSUITE_JWT_ALGORITHM`` | the M2M assertion's algorithm: ``PS256`` (default), PS384/512, ES256/384/512 |
| ``OMNIGATE_NETSUITE_ACCESS_TOKEN`` | an OAuth 2.0 bearer token obtained out of band, instead of TBA |
| ``OMNIGATE_NETSUITE_CREDIT_ITEM`` | internal id of the item credit memos are booked on |
| ``OMNIGATE_NETSUITE_SUBSIDIARIES`` | legal entity to subsidiary id, ``US01=1,CA01=3`` |
| ``OMNIGATE_NETSUITE_LOCATIONS`` | location to NetSuite location id, ``DC-EAST=6,DC-WEST=7`` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, NoReturn

import httpx
import msgspec

from service_kit.settings import ConfigurationError
from system_apis.erp.adapters.base import ErpBackend
from system_apis.erp.adapters.netsuite import NetSuiteBackend
from system_apis.erp.adapters.netsuite_auth import (
    TOKEN_PATH,
    BearerAuthentication,
    ClientCredentialsAuthentication,
    TokenBasedAuthentication,
)
from system_apis.erp.adapters.reference import ReferenceErpBackend

__all__ = ["ErpSettings", "build_backend"]


class ErpSettings(msgspec.Struct, frozen=True, kw_only=True):
    backend: Literal["reference", "netsuite"] = "reference"
    netsuite_endpoint: str | None = None
    netsuite_account: str | None = None
    netsuite_consumer_key: str | None = None
    netsuite_consumer_secret: str | None = None
    netsuite_token_id: str | None = None
    netsuite_token_secret: str | None = None
    netsuite_access_token: str | None = None
    netsuite_client_id: str | None = None
    netsuite_certificate_id: str | None = None
    netsuite_private_key_file: str | None = None
    netsuite_jwt_algorithm: Literal["PS256", "PS384", "PS512", "ES256", "ES384", "ES512"] = "PS256"
    netsuite_credit_item: str | None = None
    netsuite_subsidiaries: dict[str, str] = msgspec.field(default_factory=dict)
    netsuite_locations: dict[str, str] = msgspec.field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ErpSettings:
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        if backend := env.get("OMNIGATE_ERP_BACKEND"):
            raw["backend"] = backend
        for name in cls.__struct_fields__:
            if not name.startswith("netsuite_") or (value := env.get(f"OMNIGATE_{name.upper()}")) is None:
                continue
            raw[name] = _pairs(name, value) if name in {"netsuite_subsidiaries", "netsuite_locations"} else value
        try:
            return msgspec.convert(raw, cls)
        except msgspec.ValidationError as exc:
            raise ConfigurationError(f"invalid ERP setting: {exc}") from exc


def _pairs(name: str, value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, target = item.partition("=")
        if not sep or not key or not target:
            raise ConfigurationError(f"OMNIGATE_{name.upper()}: expected CODE=ID[,CODE=ID...], got {item!r}")
        pairs[key.strip()] = target.strip()
    return pairs


def build_backend(settings: ErpSettings) -> ErpBackend:
    """The configured backend; a NetSuite backend with missing credentials fails here, at start-up."""
    if settings.backend == "reference":
        return ReferenceErpBackend()
    missing = [name for name in ("netsuite_endpoint", "netsuite_credit_item") if not getattr(settings, name)]
    tba = [
        "netsuite_account",
        "netsuite_consumer_key",
        "netsuite_consumer_secret",
        "netsuite_token_id",
        "netsuite_token_secret",
    ]
    auth: httpx.Auth
    if settings.netsuite_client_id:
        m2m = ["netsuite_certificate_id", "netsuite_private_key_file"]
        missing += [name for name in m2m if not getattr(settings, name)]
        if missing:
            _refuse(missing)
        auth = ClientCredentialsAuthentication(
            token_url=(settings.netsuite_endpoint or "").rstrip("/") + TOKEN_PATH,
            client_id=settings.netsuite_client_id,
            certificate_id=settings.netsuite_certificate_id or "",
            private_key_pem=_read_key(settings.netsuite_private_key_file or ""),
            algorithm=settings.netsuite_jwt_algorithm,
        )
    elif settings.netsuite_access_token:
        auth = BearerAuthentication(settings.netsuite_access_token)
    else:
        missing += [name for name in tba if not getattr(settings, name)]
        auth = TokenBasedAuthentication(
            account=settings.netsuite_account or "",
            consumer_key=settings.netsuite_consumer_key or "",
            consumer_secret=settings.netsuite_consumer_secret or "",
            token_id=settings.netsuite_token_id or "",
            token_secret=settings.netsuite_token_secret or "",
        )
    if missing:
        _refuse(missing)
    return NetSuiteBackend(
        endpoint=settings.netsuite_endpoint or "",
        auth=auth,
        credit_item_id=settings.netsuite_credit_item or "",
        subsidiaries=settings.netsuite_subsidiaries,
        locations=settings.netsuite_locations,
    )


def _refuse(missing: list[str]) -> NoReturn:
    names = ", ".join(f"OMNIGATE_{name.upper()}" for name in missing)
    raise ConfigurationError(f"OMNIGATE_ERP_BACKEND=netsuite needs {names}")


def _read_key(path: str) -> bytes:
    """The M2M certificate's private key, read once at start-up: a missing or unreadable file fails here."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"OMNIGATE_NETSUITE_PRIVATE_KEY_FILE: cannot read {path}: {exc.strerror}") from exc
