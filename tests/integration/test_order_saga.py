"""The order saga's engine on SQLite and PostgreSQL: orders enter once, advance step by step, retry transient
failures with backoff, park business failures on the worklist, ignore stale channel versions, and resume after
a worker dies mid-step with the same idempotency key (so the system replays instead of acting twice).

The systems are a recording double of :class:`OrderSystems` here (the engine is under test, not the ERP);
the end-to-end test through the real services lives in ``tests/e2e``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from canonical import SalesOrder, ShipmentNotice
from process_apis.orders.models import BusinessException, LineCancellation, OrderRecord
from process_apis.orders.saga.intake import receive_order
from process_apis.orders.saga.shipping import record_shipment
from process_apis.orders.saga.systems import (
    BusinessFailure,
    LineCut,
    Release,
    Reservation,
    SystemUnavailable,
    Withdrawal,
)
from process_apis.orders.saga.views import OrderBook
from process_apis.orders.saga.worker import RetryPolicy, SagaWorker
from service_kit.database import Database
from service_kit.settings import Settings


def sales_order(updated_at: str = "2026-11-20T10:00:00Z", quantity: int = 2) -> SalesOrder:
    body = {
        "tenant": "demo",
        "order_id": "shopify-450789469",
        "channel": "shopify",
        "external_id": "450789469",
        "currency": "USD",
        "lines": [
            {
                "line_id": "1",
                "sku": "MUG-1",
                "title": "Mug",
                "quantity": quantity,
                "unit_price": {"amount": "10.00", "currency": "USD"},
            }
        ],
        "total": {"amount": f"{10 * quantity}.00", "currency": "USD"},
        "financial_status": "authorized",
        "placed_at": "2026-11-20T10:00:00Z",
        "updated_at": updated_at,
    }
    return msgspec.convert(body, SalesOrder)


class WorkerDied(BaseException):
    """Stands for the process being killed: nothing after the side effect runs."""


class RecordingSystems:
    """Keeps what each system was asked, and like the real APIs answers a repeated key with its first answer."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.sales_orders: dict[str, str] = {}
        self.releases: dict[str, Release] = {}
        self.unavailable: dict[str, int] = {}
        self.refuse: dict[str, BusinessFailure] = {}
        self.die_after: set[str] = set()
        self.invoices: dict[str, str] = {}
        self.holdings = Reservation()
        self.withdrawals: dict[str, tuple[list[LineCut], Withdrawal]] = {}
        self.picked: set[str] = set()
        self.erp_cuts: dict[str, dict[str, int]] = {}

    def _enter(self, step: str, key: str | None = None) -> None:
        self.calls.append((step, key))
        if self.unavailable.get(step, 0) > 0:
            self.unavailable[step] -= 1
            raise SystemUnavailable(step, "503 Service Unavailable")
        if step in self.refuse:
            raise self.refuse[step]

    def _leave(self, step: str) -> None:
        if step in self.die_after:
            self.die_after.discard(step)
            raise WorkerDied(step)

    async def validate(self, tenant: str, order: SalesOrder) -> None:
        self._enter("validate")

    async def calculate_tax(self, tenant: str, order: SalesOrder) -> dict[str, Any]:
        self._enter("tax")
        return {"total_tax": "1.60"}

    async def book(self, tenant: str, order: SalesOrder, *, key: str) -> str:
        self._enter("book", key)
        reference = self.sales_orders.setdefault(key, f"SO-{len(self.sales_orders) + 1:06d}")
        self._leave("book")
        return reference

    async def reserve(self, tenant: str, order: SalesOrder, *, key: str) -> Reservation:
        self._enter("reserve", key)
        if not self.holdings.held:
            self.holdings = Reservation(held={"DC-EAST": [("1", "MUG-1", order.lines[0].quantity)]})
        return self.holdings

    async def held_units(self, tenant: str, order: SalesOrder) -> Reservation:
        self._enter("held_units")
        return self.holdings

    async def withdraw_units(
        self, tenant: str, order: SalesOrder, plan: list[LineCut], fulfillment_requests: dict[str, str], *, key: str
    ) -> Withdrawal:
        """Like the WMS and inventory: a picked location refuses, a repeated key replays (and must repeat the plan)."""
        self._enter("withdraw_units", key)
        if key in self.withdrawals:
            first_plan, answer = self.withdrawals[key]
            assert first_plan == plan, "a retried key must carry the same plan"
        else:
            refused = {location: "already picked" for _, location, _ in plan if location in self.picked}
            answer = Withdrawal(withdrawn=[cut for cut in plan if cut[1] not in refused], refused=refused)
            self.withdrawals[key] = (plan, answer)
            held = dict(self.holdings.held)
            for line_id, location, units in answer.withdrawn:
                if location is not None:
                    held[location] = [(h, sku, n - units if h == line_id else n) for h, sku, n in held[location]]
            self.holdings = Reservation(held=held)
        self._leave("withdraw_units")
        return answer

    async def release(
        self, tenant: str, order: SalesOrder, location_id: str, lines: list[tuple[str, str, int]], *, key: str
    ) -> Release:
        self._enter("release", key)
        return self.releases.setdefault(key, Release(location_id, f"FR-{len(self.releases) + 1}"))

    async def withdraw(self, tenant: str, order: SalesOrder, fulfillment_requests: dict[str, str]) -> None:
        self._enter("withdraw", ",".join(sorted(fulfillment_requests.values())))

    async def cut_booked_lines(
        self, tenant: str, order: SalesOrder, erp_order_ref: str, units: dict[str, int], *, key: str
    ) -> None:
        self._enter("cut_booked_lines", key)
        assert self.erp_cuts.setdefault(key, units) == units, "a retried key must carry the same cut"

    async def follow_up_shipment(
        self, tenant: str, order: SalesOrder, erp_order_ref: str, notice: ShipmentNotice
    ) -> dict[str, str]:
        self._enter("ship", notice.shipment_id)
        invoice = self.invoices.setdefault(notice.shipment_id, f"INV-{len(self.invoices) + 1}")
        self._leave("ship")
        return {"invoice_id": invoice}


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url_for("orders"))
    yield database
    await database.dispose()


async def receive(
    database: Database, order: SalesOrder, topic: str = "orders/create", cancelled_at: datetime | None = None
) -> None:
    async with database.transaction() as session:
        await receive_order(session, order, topic=topic, cancelled_at=cancelled_at)


async def run_until_idle(worker: SagaWorker, rounds: int = 20) -> None:
    for _ in range(rounds):
        if not await worker.run_due():
            return


async def order_view(database: Database) -> Any:
    async with database.reading() as session:
        return await OrderBook(session).show("demo", "shopify-450789469")


async def timeline(database: Database) -> list[tuple[str, str, str]]:
    async with database.reading() as session:
        steps = (await OrderBook(session).timeline("demo", "shopify-450789469")).steps
    return [(s.step, s.outcome, s.to_state) for s in steps]


NO_WAIT = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)


def sla_counts() -> tuple[float, float]:
    return (
        REGISTRY.get_sample_value("omnigate_order_acceptance_seconds_count") or 0.0,
        REGISTRY.get_sample_value("omnigate_order_release_seconds_count") or 0.0,
    )


async def test_an_order_advances_step_by_step_to_released(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    before = sla_counts()

    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    assert sla_counts() == (before[0] + 1, before[1] + 1), "acceptance and release latency observed once each"

    view = await order_view(database)
    assert view.state == "released"
    assert view.erp_order_ref == "SO-000001"
    assert view.fulfillment_requests == {"DC-EAST": "FR-1"}
    assert [(line.state, line.reserved) for line in view.lines] == [("released", 2)]
    assert [step for step, _key in systems.calls] == ["validate", "tax", "book", "reserve", "release"]
    assert await timeline(database) == [
        ("orders/create", "done", "received"),
        ("validate", "done", "validated"),
        ("calculate_tax", "done", "tax_calculated"),
        ("book_sales_order", "done", "accepted"),
        ("reserve", "done", "reserved"),
        ("release", "done", "released"),
    ]


async def test_the_same_order_delivered_again_or_older_changes_nothing(database: Database) -> None:
    await receive(database, sales_order())
    await receive(database, sales_order())
    await receive(database, sales_order(updated_at="2026-11-19T10:00:00Z", quantity=5), topic="orders/updated")

    async with database.reading() as session:
        records = (await session.scalars(select(OrderRecord))).all()
    assert len(records) == 1
    assert (await order_view(database)).lines[0].quantity == 2
    assert [outcome for _step, outcome, _to in await timeline(database)] == ["done", "ignored", "ignored"]


async def test_a_newer_version_replaces_the_order_until_it_is_booked(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    await receive(database, sales_order(updated_at="2026-11-20T11:00:00Z", quantity=3), topic="orders/updated")
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))
    await receive(database, sales_order(updated_at="2026-11-20T12:00:00Z", quantity=9), topic="orders/updated")

    view = await order_view(database)
    assert view.state == "released"
    assert view.lines[0].quantity == 3, "booked with the newer version; a change after booking is not applied"
    assert (await timeline(database))[-1] == ("orders/updated", "ignored", "released")


async def test_transient_failures_retry_then_succeed(database: Database) -> None:
    systems = RecordingSystems()
    systems.unavailable["book"] = 2
    await receive(database, sales_order())

    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    assert (await order_view(database)).state == "released"
    book_calls = [key for step, key in systems.calls if step == "book"]
    assert book_calls == ["sales-order:shopify-450789469"] * 3
    assert len(systems.sales_orders) == 1
    assert [o for s, o, _ in await timeline(database) if s == "book_sales_order"] == ["retrying", "retrying", "done"]


async def test_exhausted_retries_park_the_order_on_the_worklist_until_retried(database: Database) -> None:
    systems = RecordingSystems()
    systems.unavailable["tax"] = 3
    await receive(database, sales_order())

    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    view = await order_view(database)
    assert (view.state, view.next_attempt_at, view.attempts) == ("validated", None, 3)
    async with database.reading() as session:
        items = (await session.scalars(select(BusinessException))).all()
    assert [(i.kind, i.system, i.order_id) for i in items] == [("retries_exhausted", "tax", "shopify-450789469")]

    async with database.transaction() as session:
        await OrderBook(session).retry("demo", "shopify-450789469")
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))
    assert (await order_view(database)).state == "released"


async def test_a_business_failure_holds_the_order_and_a_retry_after_the_fix_completes_it(database: Database) -> None:
    systems = RecordingSystems()
    systems.refuse["validate"] = BusinessFailure(
        "erp", "customer_on_credit_hold", [{"code": "customer_on_credit_hold", "message": "credit hold"}]
    )
    await receive(database, sales_order())
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    held = await order_view(database)
    assert (held.state, held.hold_reason) == ("on_hold", "credit hold")
    async with database.reading() as session:
        item = (await session.scalars(select(BusinessException))).one()
    assert (item.kind, item.system, item.status) == ("customer_on_credit_hold", "erp", "open")

    del systems.refuse["validate"]  # the credit hold was lifted in the ERP
    async with database.transaction() as session:
        await OrderBook(session).retry("demo", "shopify-450789469")
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))
    assert (await order_view(database)).state == "released"


async def test_a_worker_killed_after_booking_resumes_with_the_same_key_and_books_once(database: Database) -> None:
    systems = RecordingSystems()
    systems.die_after.add("book")
    await receive(database, sales_order())
    first = SagaWorker(database, systems, retry=NO_WAIT, lease=timedelta(milliseconds=200))

    with pytest.raises(WorkerDied):
        await run_until_idle(first)
    assert (await order_view(database)).state == "tax_calculated", "the booking was never recorded"
    await asyncio.sleep(0.3)  # the dead worker's lease runs out

    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    view = await order_view(database)
    assert (view.state, view.erp_order_ref) == ("released", "SO-000001")
    assert [key for step, key in systems.calls if step == "book"] == ["sales-order:shopify-450789469"] * 2
    assert len(systems.sales_orders) == 1


async def test_two_workers_never_run_one_order_at_once(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    workers = [SagaWorker(database, systems, retry=NO_WAIT) for _ in range(4)]

    for _ in range(10):
        await asyncio.gather(*(worker.run_due() for worker in workers))

    assert (await order_view(database)).state == "released"
    assert [step for step, _key in systems.calls] == ["validate", "tax", "book", "reserve", "release"]


def shipment(shipment_id: str, units: int) -> ShipmentNotice:
    return msgspec.convert(
        {
            "tenant": "demo",
            "shipment_id": shipment_id,
            "order_id": "shopify-450789469",
            "location_id": "DC-EAST",
            "lines": [{"line_id": "1", "sku": "MUG-1", "quantity": units}],
            "shipped_at": "2026-11-21T10:00:00Z",
            "packages": [{"tracking_number": f"1Z{shipment_id}", "carrier": "UPS"}],
        },
        ShipmentNotice,
    )


async def confirm(database: Database, notice: ShipmentNotice) -> bool:
    async with database.transaction() as session:
        return await record_shipment(session, "demo", notice) is not None


async def test_partial_then_final_shipment_ships_and_invoices_the_order(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    worker = SagaWorker(database, systems, retry=NO_WAIT)
    await run_until_idle(worker)

    assert await confirm(database, shipment("S1", 1))
    assert not await confirm(database, shipment("S1", 1)), "a redelivered confirmation is kept once"
    await run_until_idle(worker)
    partial = await order_view(database)
    assert (partial.state, partial.lines[0].shipped, partial.lines[0].state) == (
        "partially_shipped",
        1,
        "partially_shipped",
    )

    assert await confirm(database, shipment("S2", 2))
    await run_until_idle(worker)

    done = await order_view(database)
    assert (done.state, done.lines[0].shipped, done.lines[0].state) == ("invoiced", 3, "invoiced")
    assert [key for step, key in systems.calls if step == "ship"] == ["S1", "S2"]
    assert [(step, to) for step, _outcome, to in await timeline(database)][-3:] == [
        ("ship", "partially_shipped"),
        ("ship", "shipped"),
        ("invoice", "invoiced"),
    ]


async def test_a_shipment_before_the_release_is_recorded_waits_for_it(database: Database) -> None:
    systems = RecordingSystems()
    systems.unavailable["release"] = 1
    await receive(database, sales_order())
    worker = SagaWorker(database, systems, retry=RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0))
    for _ in range(4):  # validate, tax, book, reserve; the release fails once and is retried later
        await worker.run_due()
    assert (await order_view(database)).state == "reserved"

    assert await confirm(database, shipment("S1", 2))
    await run_until_idle(worker)

    view = await order_view(database)
    assert (view.state, view.lines[0].shipped) == ("invoiced", 2)
    steps = [step for step, _key in systems.calls]
    assert steps.index("ship") > steps.index("release"), "followed up only once the release was recorded"


async def test_a_worker_killed_mid_follow_up_resumes_and_invoices_once(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))
    await confirm(database, shipment("S1", 2))
    systems.die_after.add("ship")

    with pytest.raises(WorkerDied):
        await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT, lease=timedelta(milliseconds=200)))
    await asyncio.sleep(0.3)
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    assert (await order_view(database)).state == "invoiced"
    assert [key for step, key in systems.calls if step == "ship"] == ["S1", "S1"]
    assert systems.invoices == {"S1": "INV-1"}


async def test_a_shipment_for_an_unknown_order_is_not_kept(database: Database) -> None:
    assert not await confirm(database, shipment("S9", 1))


CANCELLED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def test_a_cancelled_released_order_withdraws_its_holds_and_releases_once(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    cancel = sales_order(updated_at="2026-11-20T12:00:00Z")
    await receive(database, cancel, topic="orders/cancelled", cancelled_at=CANCELLED_AT)
    await receive(database, cancel, topic="orders/cancelled", cancelled_at=CANCELLED_AT)
    await receive(database, sales_order(updated_at="2026-11-20T13:00:00Z", quantity=9), topic="orders/updated")
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    view = await order_view(database)
    assert (view.state, view.lines[0].state, view.lines[0].quantity) == ("cancelled", "cancelled", 2)
    assert [key for step, key in systems.calls if step == "withdraw"] == ["FR-1"]
    assert [(step, outcome) for step, outcome, _ in await timeline(database)][-4:] == [
        ("orders/cancelled", "done"),
        ("orders/cancelled", "ignored"),
        ("orders/updated", "ignored"),
        ("withdraw", "done"),
    ]


async def test_an_order_cancelled_before_it_was_booked_calls_no_system(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    await receive(database, sales_order(updated_at="2026-11-20T12:00:00Z"), "orders/cancelled", CANCELLED_AT)
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    assert (await order_view(database)).state == "cancelled"
    assert systems.calls == []


async def test_a_cancellation_after_shipping_lands_on_the_worklist(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order())
    worker = SagaWorker(database, systems, retry=NO_WAIT)
    await run_until_idle(worker)
    await confirm(database, shipment("S1", 1))
    await run_until_idle(worker)

    await receive(database, sales_order(updated_at="2026-11-20T12:00:00Z"), "orders/cancelled", CANCELLED_AT)

    assert (await order_view(database)).state == "partially_shipped"
    async with database.reading() as session:
        item = (await session.scalars(select(BusinessException))).one()
    assert (item.kind, item.order_id) == ("cancel_after_shipment", "shopify-450789469")


async def test_a_release_nobody_confirms_in_time_lands_on_the_worklist_once_and_its_shipment_resolves_it(
    database: Database,
) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    worker = SagaWorker(database, systems, retry=NO_WAIT, confirmation_deadline=timedelta(milliseconds=200))
    await run_until_idle(worker)
    assert (await order_view(database)).state == "released"

    await asyncio.sleep(0.3)
    assert await worker.watch_confirmations() == 1
    assert await worker.watch_confirmations() == 0, "a second look at the same release counts nothing more"

    async with database.reading() as session:
        items = (await session.scalars(select(BusinessException))).all()
    assert [(i.kind, i.system, i.order_id, i.attempts, i.status) for i in items] == [
        ("shipment_confirmation_timeout", "wms", "shopify-450789469", 1, "open")
    ]
    assert "DC-EAST has not confirmed fulfillment request FR-1" in items[0].reason
    assert ("confirm_shipment", "exception", "released") in await timeline(database)

    assert await confirm(database, shipment("S1", 1))
    await run_until_idle(worker)
    async with database.reading() as session:
        [item] = (await session.scalars(select(BusinessException))).all()
    assert (item.status, item.resolution) == ("resolved", "DC-EAST confirmed shipment S1")


async def test_a_release_confirmed_in_time_raises_nothing(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    worker = SagaWorker(database, systems, retry=NO_WAIT, confirmation_deadline=timedelta(milliseconds=200))
    await run_until_idle(worker)
    assert await confirm(database, shipment("S1", 1))
    await run_until_idle(worker)

    await asyncio.sleep(0.3)
    assert await worker.watch_confirmations() == 0

    async with database.reading() as session:
        assert (await session.scalars(select(BusinessException))).all() == []


CUT = "2026-11-20T12:00:00Z"


async def worklist_kinds(database: Database) -> list[str]:
    async with database.reading() as session:
        return [item.kind for item in (await session.scalars(select(BusinessException))).all()]


async def test_a_line_cut_after_release_is_withdrawn_once_and_the_rest_ships(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    worker = SagaWorker(database, systems, retry=NO_WAIT)
    await run_until_idle(worker)

    await receive(database, sales_order(updated_at=CUT, quantity=1), topic="orders/updated")
    await receive(database, sales_order(updated_at=CUT, quantity=1), topic="orders/updated")
    await run_until_idle(worker)

    view = await order_view(database)
    assert (view.state, view.lines[0].quantity, view.lines[0].cancelled) == ("released", 1, 2)
    assert view.fulfillment_requests == {"DC-EAST": "FR-1"}, "the request still has a unit to ship"
    assert [key for step, key in systems.calls if step == "withdraw_units"] == ["cancel-lines:shopify-450789469:1"]
    assert systems.withdrawals["cancel-lines:shopify-450789469:1"][0] == [("1", "DC-EAST", 2)]
    assert systems.erp_cuts == {"cancel-lines:shopify-450789469:1": {"1": 2}}, "the ERP order is cut once"
    assert (await timeline(database))[-3:] == [
        ("orders/updated", "done", "released"),
        ("orders/updated", "ignored", "released"),
        ("cancel_lines", "done", "released"),
    ]

    assert await confirm(database, shipment("S1", 1))
    await run_until_idle(worker)
    done = await order_view(database)
    assert (done.state, done.lines[0].shipped, done.lines[0].state) == ("invoiced", 1, "invoiced")


async def test_a_worker_killed_mid_cut_resumes_with_the_same_plan_and_key(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))
    await receive(database, sales_order(updated_at=CUT, quantity=2), topic="orders/updated")
    systems.die_after.add("withdraw_units")

    with pytest.raises(WorkerDied):
        await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT, lease=timedelta(milliseconds=200)))
    assert (await order_view(database)).lines[0].quantity == 3, "the withdrawal was never recorded"
    await asyncio.sleep(0.3)
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    view = await order_view(database)
    assert (view.lines[0].quantity, view.lines[0].cancelled, view.lines[0].reserved) == (2, 1, 2)
    assert [key for step, key in systems.calls if step == "withdraw_units"] == ["cancel-lines:shopify-450789469:1"] * 2
    assert [step for step, _key in systems.calls].count("held_units") == 1, "planned once, before the first call"
    assert systems.erp_cuts == {"cancel-lines:shopify-450789469:1": {"1": 1}}


async def test_a_cut_of_picked_units_goes_on_the_worklist_and_the_order_ships_them(database: Database) -> None:
    systems = RecordingSystems()
    systems.picked.add("DC-EAST")
    await receive(database, sales_order(quantity=3))
    worker = SagaWorker(database, systems, retry=NO_WAIT)
    await run_until_idle(worker)

    await receive(database, sales_order(updated_at=CUT, quantity=1), topic="orders/updated")
    await run_until_idle(worker)

    view = await order_view(database)
    assert (view.state, view.lines[0].quantity, view.lines[0].cancelled) == ("released", 3, 0)
    assert await worklist_kinds(database) == ["cancel_after_pick"]
    assert systems.erp_cuts == {}, "nothing was withdrawn, so the ERP order stays as it is"
    assert (await timeline(database))[-1] == ("cancel_lines", "exception", "released")
    async with database.reading() as session:
        cut = (await session.scalars(select(LineCancellation))).one()
    assert (cut.status, cut.outcome["not_withdrawn"], cut.outcome["refused"]) == (
        "done",
        {"1": 2},
        {"DC-EAST": "already picked"},
    )


async def test_a_cut_while_booking_waits_for_it_and_only_what_is_left_is_reserved(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    worker = SagaWorker(database, systems, retry=NO_WAIT)
    await worker.run_due()
    assert (await order_view(database)).state == "validated"

    await receive(database, sales_order(updated_at=CUT, quantity=1), topic="orders/updated")
    await run_until_idle(worker)

    view = await order_view(database)
    assert (view.state, view.lines[0].quantity, view.lines[0].reserved, view.lines[0].cancelled) == (
        "released",
        1,
        1,
        2,
    )
    assert systems.holdings.held == {"DC-EAST": [("1", "MUG-1", 1)]}, "reserved the one unit left"
    assert "withdraw_units" not in [step for step, _key in systems.calls], "nothing was held to withdraw"
    assert list(systems.erp_cuts.values()) == [{"1": 2}], "the booked ERP order is cut all the same"
    assert [step for step, _outcome, _to in await timeline(database)][-4:] == [
        "book_sales_order",
        "cancel_lines",
        "reserve",
        "release",
    ]


async def test_an_erp_that_refuses_the_cut_goes_on_the_worklist_and_the_withdrawal_stands(
    database: Database,
) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=3))
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))
    systems.refuse["cut_booked_lines"] = BusinessFailure(
        "erp", "over_cancellation", [{"code": "over_cancellation", "message": "the cut exceeds what is left"}]
    )

    await receive(database, sales_order(updated_at=CUT, quantity=1), topic="orders/updated")
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    view = await order_view(database)
    assert (view.state, view.lines[0].quantity, view.lines[0].cancelled) == ("released", 1, 2)
    assert await worklist_kinds(database) == ["over_cancellation"]
    assert (await timeline(database))[-1] == ("cancel_lines", "exception", "released")


async def test_units_added_after_booking_go_on_the_worklist_and_change_nothing(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=2))
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    await receive(database, sales_order(updated_at=CUT, quantity=5), topic="orders/updated")

    view = await order_view(database)
    assert (view.state, view.lines[0].quantity) == ("released", 2)
    assert await worklist_kinds(database) == ["order_edit_not_applied"]


async def test_cutting_every_line_to_nothing_cancels_the_order(database: Database) -> None:
    systems = RecordingSystems()
    await receive(database, sales_order(quantity=2))
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    await receive(database, sales_order(updated_at=CUT, quantity=0), topic="orders/updated")
    await run_until_idle(SagaWorker(database, systems, retry=NO_WAIT))

    assert (await order_view(database)).state == "cancelled"
    assert [key for step, key in systems.calls if step == "withdraw"] == ["FR-1"]
    assert "withdraw_units" not in [step for step, _key in systems.calls]
