"""``Idempotency-Key`` for POSTs (draft-ietf-httpapi-idempotency-key-header): a retry gets the first answer.

The key is claimed in the same transaction as the write it protects, so the write and the stored answer
commit together or not at all: a crash leaves nothing behind and the retry runs afresh. A concurrent retry
with the same key waits for the first to commit (PostgreSQL blocks on the key's unique index; SQLite
serializes writers) and then gets the stored answer, so two requests can never both write. The same key
with a different request is 422; a missing key where one is required is 400.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from litestar import Request, Response
from litestar.params import HeaderParameter
from litestar.serialization import encode_json
from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from service_kit.database import UtcDateTime
from service_kit.problems import BadRequest, Conflict, Problem

__all__ = [
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENT_REPLAY_HEADER",
    "KEY_RETENTION",
    "EnforcedIdempotencyKeyHeader",
    "IdempotencyKeyHeader",
    "IdempotencyKeyReused",
    "IdempotencyMixin",
    "RequiredIdempotencyKeyHeader",
    "run_once",
]

T = TypeVar("T")

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_MAX_KEY_LENGTH = 255
IDEMPOTENT_REPLAY_HEADER = "Idempotent-Replayed"

_PER_OPERATION = "A unique value per operation, reused on every retry of it: a retry gets the first answer."

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY_HEADER,
        min_length=1,
        max_length=_MAX_KEY_LENGTH,
        description=f"Optional. {_PER_OPERATION}",
    ),
]
"""The header as a handler parameter where it is optional (``run_once(..., required=False)``)."""

RequiredIdempotencyKeyHeader = Annotated[
    str,
    HeaderParameter(name=IDEMPOTENCY_KEY_HEADER, min_length=1, max_length=_MAX_KEY_LENGTH, description=_PER_OPERATION),
]
"""The header where an operation needs it (``run_once``'s default), declared required in the OpenAPI."""

EnforcedIdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY_HEADER,
        min_length=1,
        max_length=_MAX_KEY_LENGTH,
        description=f"Required. {_PER_OPERATION} Without it: 400 `idempotency_key_required`.",
    ),
]
"""Needed by ``run_once`` but declared optional, as the first published versions of some APIs declared it:
making it required in their OpenAPI now would be a breaking change to those versions."""
KEY_RETENTION = timedelta(hours=24)
"""How long a key is remembered; after that the same key starts a new request (as Stripe does)."""


class IdempotencyKeyReused(Problem):
    status = 422
    code = "idempotency_key_reused"
    title_text = "Unprocessable content"


class IdempotencyMixin:
    """Columns of a service's idempotency-key table; the service declares the table on its own metadata."""

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    key: Mapped[str] = mapped_column(String(_MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of method, path and body: the same key must come with the same request."""
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _key(request: Request[Any, Any, Any], *, required: bool) -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if key is None:
        if required:
            raise BadRequest(
                f"this operation needs an '{IDEMPOTENCY_KEY_HEADER}' header (a unique value per operation, "
                "reused on every retry of it)",
                code="idempotency_key_required",
            )
        return None
    key = key.strip().strip('"')  # the draft sends it as a structured-field string
    if not key or len(key) > _MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(
            f"'{IDEMPOTENCY_KEY_HEADER}' must be 1 to {_MAX_KEY_LENGTH} printable characters",
            code="invalid_idempotency_key",
        )
    return key


async def _fingerprint(request: Request[Any, Any, Any]) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(await request.body())
    return digest.hexdigest()


def _replay(record: IdempotencyMixin) -> Response[bytes]:
    return Response(
        content=record.response_body,
        status_code=record.status_code,
        media_type="application/json",
        headers={IDEMPOTENT_REPLAY_HEADER: "true"},
    )


async def run_once(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    table: type[IdempotencyMixin],
    *,
    tenant: str,
    operation: Callable[[], Awaitable[T]],
    status_code: int = 201,
    required: bool = True,
) -> Response[Any]:
    """Run ``operation`` once per ``Idempotency-Key``; a retry gets the first answer, marked replayed.

    ``operation`` must write through ``session`` (the request's transaction), so its effects and the stored
    answer commit together. A problem it raises is not stored: nothing was written, so a retry runs again.
    """
    key = _key(request, required=required)
    if key is None:
        return Response(await operation(), status_code=status_code)
    fingerprint = await _fingerprint(request)
    now = datetime.now(UTC)
    record_type: Any = table
    claim = record_type(
        tenant=tenant,
        key=key,
        fingerprint=fingerprint,
        status_code=0,
        response_body=b"",
        created_at=now,
        expires_at=now + KEY_RETENTION,
    )
    try:
        async with session.begin_nested():
            session.add(claim)
            await session.flush()
    except IntegrityError:
        existing: IdempotencyMixin | None = await session.get(table, (tenant, key), populate_existing=True)
        if existing is None:  # its holder rolled back between our insert and our read
            raise Conflict(
                f"a request with '{IDEMPOTENCY_KEY_HEADER}: {key}' was in flight; retry it",
                code="idempotency_key_in_flight",
            ) from None
        if existing.expires_at > now:
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    f"'{IDEMPOTENCY_KEY_HEADER}: {key}' was used for a different request; use a new key"
                ) from None
            return _replay(existing)
        claim = existing  # an expired key starts over
        claim.fingerprint, claim.created_at, claim.expires_at = fingerprint, now, now + KEY_RETENTION
    result = await operation()
    claim.status_code, claim.response_body = status_code, encode_json(result)
    await session.flush()
    return Response(claim.response_body, status_code=status_code, media_type="application/json")
