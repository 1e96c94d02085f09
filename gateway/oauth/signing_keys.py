"""Token signing keys: stored in the gateway's database with the private half encrypted (AES-256-GCM under
a key derived from the key encryption key in settings), rotated by ``omnigate keys rotate``.

A rotated key stops signing at once but stays in the JWKS until every token it signed has expired; then it
retires. Each gateway process keeps the keys in a :class:`KeyRing`, so verifying a token costs no database
round trip; the ring reloads when it meets an unknown ``kid`` (a key another process just created) and
every ``refresh_interval`` seconds (so a rotation from the CLI is picked up for signing).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey, Key, KeySet, RSAKey, import_key
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit import record_audit
from gateway.models import SigningKey
from service_kit.database import Database
from service_kit.settings import Settings

__all__ = [
    "SIGNING_ALGORITHMS",
    "KeyEncryption",
    "KeyRing",
    "SigningAlgorithm",
    "active_signing_key",
    "published_keys",
    "rotate_signing_key",
]

SigningAlgorithm = Literal["RS256", "ES256"]
SIGNING_ALGORITHMS: tuple[SigningAlgorithm, ...] = ("RS256", "ES256")
RETIREMENT_LEEWAY = timedelta(seconds=60)
"""Clock skew allowed for when computing when a superseded key's last token has expired."""


class KeyEncryption:
    """Encrypts private keys at rest; the key is derived from ``OMNIGATE_KEY_ENCRYPTION_KEY``."""

    def __init__(self, secret: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"omnigate signing keys").derive(
            secret.encode()
        )
        self._aead = AESGCM(derived)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyEncryption:
        """The configured secret, else one generated once into ``data_dir/gateway.kek`` (mode 0600)."""
        if settings.key_encryption_key:
            return cls(settings.key_encryption_key)
        path = Path(settings.data_dir) / "gateway.kek"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first
                pass
            else:
                with os.fdopen(fd, "w") as file:
                    file.write(secrets.token_urlsafe(32))
        return cls(path.read_text().strip())

    def encrypt(self, private_jwk: dict[str, Any], kid: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, json.dumps(private_jwk).encode(), kid.encode())

    def decrypt(self, blob: bytes, kid: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self._aead.decrypt(blob[:12], blob[12:], kid.encode()))
        return data


def _generate(alg: SigningAlgorithm) -> Key:
    parameters: dict[str, Any] = {"alg": alg, "use": "sig"}
    key: Key
    if alg == "RS256":
        key = RSAKey.generate_key(2048, parameters=parameters)  # type: ignore[arg-type]
    else:
        key = ECKey.generate_key("P-256", parameters=parameters)  # type: ignore[arg-type]
    key.ensure_kid()
    return key


async def rotate_signing_key(
    session: AsyncSession, encryption: KeyEncryption, *, alg: SigningAlgorithm, token_ttl: int, actor: str
) -> SigningKey:
    """Add a new active key; the previous one stops signing and retires once its tokens have expired."""
    now = datetime.now(UTC)
    key = _generate(alg)
    kid = str(key.kid)
    current = (await session.scalars(select(SigningKey).where(SigningKey.superseded_at.is_(None)))).all()
    for previous in current:
        previous.superseded_at = now
        previous.retire_at = now + timedelta(seconds=token_ttl) + RETIREMENT_LEEWAY
    record = SigningKey(
        kid=kid,
        alg=alg,
        public_jwk=key.as_dict(private=False),
        encrypted_private_key=encryption.encrypt(key.as_dict(private=True), kid),
        created_at=now,
        superseded_at=None,
        retire_at=None,
    )
    session.add(record)
    for previous in current:
        record_audit(
            session,
            actor=actor,
            action="key.superseded",
            subject=f"key:{previous.kid}",
            retire_at=str(previous.retire_at),
        )
    record_audit(session, actor=actor, action="key.created", subject=f"key:{kid}", alg=alg)
    await session.flush()
    return record


async def active_signing_key(session: AsyncSession) -> SigningKey | None:
    query = select(SigningKey).where(SigningKey.superseded_at.is_(None)).order_by(SigningKey.created_at.desc())
    return (await session.scalars(query.limit(1))).first()


async def published_keys(session: AsyncSession, now: datetime) -> list[SigningKey]:
    """Keys that may still have valid tokens: the active one and superseded ones not yet retired."""
    query = (
        select(SigningKey)
        .where((SigningKey.retire_at.is_(None)) | (SigningKey.retire_at > now))
        .order_by(SigningKey.created_at.desc())
    )
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class _Snapshot:
    signing_key: Key | None
    public: KeySet
    jwks: dict[str, Any]
    loaded_at: float


class KeyRing:
    """This process's cached view of the signing keys."""

    def __init__(self, database: Database, encryption: KeyEncryption, *, refresh_interval: float = 30.0) -> None:
        self._database = database
        self._encryption = encryption
        self._refresh_interval = refresh_interval
        self._snapshot = _Snapshot(None, KeySet([]), {"keys": []}, 0.0)
        self._lock = asyncio.Lock()
        self._unknown_kid_reload_after = 0.0

    async def load(self) -> None:
        async with self._lock:
            now = datetime.now(UTC)
            async with self._database.reading() as session:  # callers may hold a write transaction
                keys = await published_keys(session, now)
            active = next((k for k in keys if k.superseded_at is None), None)
            signing = (
                import_key(self._encryption.decrypt(active.encrypted_private_key, active.kid))
                if active is not None
                else None
            )
            public = [import_key(k.public_jwk) for k in keys]
            self._snapshot = _Snapshot(
                signing, KeySet(public), {"keys": [k.public_jwk for k in keys]}, time.monotonic()
            )

    async def ensure_active_key(self, *, alg: SigningAlgorithm, token_ttl: int) -> None:
        """First start: create the first key, so a fresh install can issue tokens at once."""
        async with self._database.transaction() as session:
            if await active_signing_key(session) is None:
                await rotate_signing_key(session, self._encryption, alg=alg, token_ttl=token_ttl, actor="gateway")
        await self.load()

    async def refresh_if_stale(self) -> None:
        if time.monotonic() - self._snapshot.loaded_at > self._refresh_interval:
            await self.load()

    async def signing_key(self) -> Key:
        await self.refresh_if_stale()
        key = self._snapshot.signing_key
        if key is None:
            raise LookupError("no active signing key: run `omnigate keys rotate`")
        return key

    @property
    def public_keys(self) -> KeySet:
        return self._snapshot.public

    @property
    def jwks(self) -> dict[str, Any]:
        return self._snapshot.jwks

    async def knows(self, kid: str) -> bool:
        """Whether ``kid`` verifies here. An unknown one triggers a reload (at most one per second); requests
        arriving while it runs wait for it rather than fail (a burst of tokens from a just-started peer)."""
        if self._has(kid):
            return True
        if time.monotonic() >= self._unknown_kid_reload_after:
            self._unknown_kid_reload_after = time.monotonic() + 1.0
            await self.load()
        else:
            async with self._lock:  # a reload may be running: its result is what we want
                pass
        return self._has(kid)

    def _has(self, kid: str) -> bool:
        return any(key.kid == kid for key in self._snapshot.public.keys)
