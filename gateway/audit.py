"""The audit log: every change to a client or a signing key, with who made it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import AuditEntry

__all__ = ["audit_entries", "record_audit"]


def record_audit(session: AsyncSession, *, actor: str, action: str, subject: str, **detail: Any) -> None:
    """Add an entry in the caller's transaction, so a change and its audit entry commit together."""
    session.add(AuditEntry(occurred_at=datetime.now(UTC), actor=actor, action=action, subject=subject, detail=detail))


async def audit_entries(session: AsyncSession, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return list((await session.scalars(query)).all())
