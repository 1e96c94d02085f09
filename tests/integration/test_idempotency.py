"""``Idempotency-Key`` on SQLite and PostgreSQL: a retry, even a concurrent one, gets the first answer and
writes nothing twice; the same key with another body is 422; a missing required key is 400."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar, Request, Response, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import JSONBody
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import Database, provide_transaction, service_metadata
from service_kit.dependencies import DbSession
from service_kit.idempotency import IdempotencyMixin, run_once
from service_kit.problems import problem_exception_handlers


class Base(DeclarativeBase):
    metadata = service_metadata()


class Payment(Base):
    __tablename__ = "test_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(50))


class PaymentKey(IdempotencyMixin, Base):
    __tablename__ = "test_idempotency_key"


class PaymentIn(msgspec.Struct):
    reference: str


class PaymentOut(msgspec.Struct):
    id: int
    reference: str


@post("/payments")
async def create_payment(
    request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[PaymentIn]
) -> Response[Any]:
    async def pay() -> PaymentOut:
        payment = Payment(reference=data.reference)
        db_session.add(payment)
        await db_session.flush()
        await asyncio.sleep(0.2)  # long enough for a concurrent retry to arrive mid-flight
        return PaymentOut(id=payment.id, reference=payment.reference)

    return await run_once(request, db_session, PaymentKey, tenant="demo", operation=pay)


@pytest.fixture
async def app_and_database(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    app = Litestar(
        [create_payment],
        dependencies={"db_session": Provide(provide_transaction)},
        exception_handlers=problem_exception_handlers(),
        state=State({"database": database}),
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as client:
            yield client, database
    finally:
        await database.dispose()


async def payments(database: Database) -> int:
    async with database.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Payment)) or 0)


async def test_a_retry_gets_the_first_answer_and_writes_nothing(
    app_and_database: tuple[httpx.AsyncClient, Database],
) -> None:
    client, database = app_and_database
    headers = {"Idempotency-Key": "order-1001-attempt"}

    first = await client.post("/payments", json={"reference": "R-1"}, headers=headers)
    retry = await client.post("/payments", json={"reference": "R-1"}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert await payments(database) == 1


async def test_concurrent_retries_make_exactly_one_write(app_and_database: tuple[httpx.AsyncClient, Database]) -> None:
    client, database = app_and_database
    headers = {"Idempotency-Key": "burst"}

    answers = await asyncio.gather(
        *(client.post("/payments", json={"reference": "R-2"}, headers=headers) for _ in range(5))
    )

    assert [a.status_code for a in answers] == [201] * 5
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 4
    assert await payments(database) == 1


async def test_the_same_key_for_another_request_is_refused(
    app_and_database: tuple[httpx.AsyncClient, Database],
) -> None:
    client, database = app_and_database
    await client.post("/payments", json={"reference": "R-3"}, headers={"Idempotency-Key": "k"})

    reused = await client.post("/payments", json={"reference": "R-4"}, headers={"Idempotency-Key": "k"})

    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert await payments(database) == 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "idempotency_key_required"), ({"Idempotency-Key": "x" * 256}, "invalid_idempotency_key")],
)
async def test_a_missing_or_malformed_key_is_a_bad_request(
    app_and_database: tuple[httpx.AsyncClient, Database], headers: dict[str, str], code: str
) -> None:
    client, database = app_and_database

    answer = await client.post("/payments", json={"reference": "R-5"}, headers=headers)

    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    assert await payments(database) == 0
