"""Version lifecycles: what a deprecated version's responses say (RFC 9745 ``Deprecation``, RFC 8594
``Sunset``, ``Link`` rel ``deprecation`` and ``successor-version``) and when it answers 410 instead (retired,
past its sunset, or inside a brownout window).

Changes are rows in the gateway's database, made by ``omnigate versions`` or the admin API; each gateway
re-reads them every ``refresh_interval`` seconds, so a change shows on running gateways within seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit import record_audit
from gateway.models import ApiVersionLifecycle, Brownout
from service_kit.database import Database
from service_kit.problems import BadRequest, Problem

__all__ = [
    "VersionBook",
    "VersionGone",
    "VersionState",
    "announce_brownout",
    "deprecate_version",
    "lifecycle_rows",
    "retire_version",
]


class VersionGone(Problem):
    status = 410
    code = "version_retired"
    title_text = "Gone"


@dataclass(frozen=True)
class VersionState:
    api: str
    major: int
    status: str
    deprecated_at: datetime | None = None
    sunset_at: datetime | None = None
    successor: int | None = None
    link: str | None = None
    brownouts: tuple[tuple[datetime, datetime], ...] = ()

    def _links(self) -> list[str]:
        links = []
        if self.link:
            links.append(f'<{self.link}>; rel="deprecation"; type="text/html"')
        if self.successor is not None:
            links.append(f'</{self.api}/v{self.successor}>; rel="successor-version"')
        return links

    def check(self, now: datetime) -> dict[str, str]:
        """Headers for a response of this version, or raise the 410 problem it must answer with now."""
        successor = f"/{self.api}/v{self.successor}" if self.successor is not None else None
        extra = {"successor": successor, "sunset": self.sunset_at.isoformat() if self.sunset_at else None}
        link_header = {"Link": ", ".join(self._links())} if self._links() else {}
        if self.status == "retired" or (self.sunset_at is not None and now >= self.sunset_at):
            raise VersionGone(
                f"{self.api} v{self.major} is retired" + (f"; use {successor}" if successor else ""),
                extra=extra,
                headers=link_header,
            )
        if self.status != "deprecated":
            return {}
        for starts_at, ends_at in self.brownouts:
            if starts_at <= now < ends_at:
                raise VersionGone(
                    f"{self.api} v{self.major} is deprecated and browned out until {ends_at.isoformat()}"
                    + (f"; migrate to {successor}" if successor else ""),
                    code="version_brownout",
                    extra={**extra, "brownout_ends_at": ends_at.isoformat()},
                    headers={**link_header, "Retry-After": str(max(1, int((ends_at - now).total_seconds())))},
                )
        headers = dict(link_header)
        if self.deprecated_at is not None:
            headers["Deprecation"] = f"@{int(self.deprecated_at.timestamp())}"
        if self.sunset_at is not None:
            headers["Sunset"] = format_datetime(self.sunset_at.astimezone(UTC), usegmt=True)
        return headers


@dataclass
class VersionBook:
    """This gateway's cached copy of every lifecycle row."""

    database: Database
    refresh_interval: float = 2.0
    _states: dict[tuple[str, int], VersionState] = field(default_factory=dict)
    _loaded_at: float = 0.0
    _reloading: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One reload at a time: the requests that find the copy stale meanwhile wait for it instead of each
    reading the database again."""

    async def state(self, api: str, major: int) -> VersionState:
        if self._stale():
            async with self._reloading:
                if self._stale():
                    await self.load()
        return self._states.get((api, major)) or VersionState(api=api, major=major, status="active")

    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at > self.refresh_interval

    async def load(self) -> None:
        async with self.database.reading() as session:
            self._states = await lifecycle_rows(session)
        self._loaded_at = time.monotonic()


async def lifecycle_rows(session: AsyncSession) -> dict[tuple[str, int], VersionState]:
    now = datetime.now(UTC)
    versions = (await session.scalars(select(ApiVersionLifecycle))).all()
    windows = (await session.scalars(select(Brownout).where(Brownout.ends_at > now).order_by(Brownout.starts_at))).all()
    states = {}
    for row in versions:
        brownouts = tuple((w.starts_at, w.ends_at) for w in windows if (w.api, w.major) == (row.api, row.major))
        states[(row.api, row.major)] = VersionState(
            api=row.api,
            major=row.major,
            status=row.status,
            deprecated_at=row.deprecated_at,
            sunset_at=row.sunset_at,
            successor=row.successor,
            link=row.link,
            brownouts=brownouts,
        )
    return states


async def _row(session: AsyncSession, api: str, major: int) -> ApiVersionLifecycle:
    row = await session.get(ApiVersionLifecycle, (api, major))
    if row is None:
        row = ApiVersionLifecycle(api=api, major=major, status="active", updated_at=datetime.now(UTC))
        session.add(row)
    return row


async def deprecate_version(
    session: AsyncSession,
    api: str,
    major: int,
    *,
    sunset_at: datetime | None,
    successor: int | None,
    link: str | None,
    actor: str,
) -> ApiVersionLifecycle:
    now = datetime.now(UTC)
    if sunset_at is not None and sunset_at <= now:
        raise BadRequest("the sunset must be in the future (use `retire` to stop a version now)", code="invalid_sunset")
    if successor is not None and successor == major:
        raise BadRequest("a version cannot succeed itself", code="invalid_successor")
    row = await _row(session, api, major)
    if row.status == "retired":
        raise BadRequest(f"{api} v{major} is already retired", code="version_retired")
    row.status = "deprecated"
    row.deprecated_at = row.deprecated_at or now
    row.sunset_at, row.successor, row.link, row.updated_at = sunset_at, successor, link, now
    record_audit(
        session,
        actor=actor,
        action="version.deprecated",
        subject=f"version:{api}:v{major}",
        sunset=sunset_at.isoformat() if sunset_at else None,
        successor=successor,
        link=link,
    )
    await session.flush()
    return row


async def announce_brownout(
    session: AsyncSession, api: str, major: int, *, starts_at: datetime, ends_at: datetime, actor: str
) -> Brownout:
    if ends_at <= starts_at:
        raise BadRequest("a brownout must end after it starts", code="invalid_brownout")
    row = await _row(session, api, major)
    if row.status != "deprecated":
        raise BadRequest(f"deprecate {api} v{major} before scheduling brownouts", code="version_not_deprecated")
    window = Brownout(api=api, major=major, starts_at=starts_at, ends_at=ends_at, created_at=datetime.now(UTC))
    session.add(window)
    record_audit(
        session,
        actor=actor,
        action="version.brownout_scheduled",
        subject=f"version:{api}:v{major}",
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    await session.flush()
    return window


async def retire_version(session: AsyncSession, api: str, major: int, *, actor: str) -> ApiVersionLifecycle:
    row = await _row(session, api, major)
    row.status, row.updated_at = "retired", datetime.now(UTC)
    record_audit(session, actor=actor, action="version.retired", subject=f"version:{api}:v{major}")
    await session.flush()
    return row
