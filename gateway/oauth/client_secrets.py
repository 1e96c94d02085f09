"""Client secrets: generated with 256 bits of entropy, shown once, stored only as a slow scrypt hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["generate_client_id", "generate_client_secret", "hash_secret", "verify_secret"]

# scrypt cost (RFC 7914): about 30 ms per check here, so a stolen table is slow to attack.
_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def generate_client_id() -> str:
    return "cl_" + secrets.token_hex(12)


def generate_client_secret() -> str:
    return "cs_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, _N, _R, _P)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Constant-time check of ``secret`` against a stored hash (any cost parameters)."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = _scrypt(secret, base64.urlsafe_b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()
