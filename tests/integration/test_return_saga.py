"""The return saga's engine on SQLite and PostgreSQL: a worker killed between the ERP credit memo and the
Shopify refund resumes the step, the credit memo's key replays the first memo, and the customer is refunded
once; a refund the two systems disagree on lands on the worklist as ``refund_mismatch``.

The systems are a recording double of :class:`ReturnSystems` (the engine is under test; the ERP's and the
Shopify system API's own replay of a key is tested with them); the run through the real services is in
``tests/e2e/test_return_to_refund.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest
from sqlalchemy import select

from canonical import Money, OrderView, ReturnReceipt, SalesOrder
from canonical.returns import ReturnPolicy, ReturnRequest, ReturnView
from process_apis.returns.authorization import decide, record_request
from process_apis.returns.crediting import BilledInvoice
from process_apis.returns.desk import ReturnDesk
from process_apis.returns.models import ReturnsOutbox
from process_apis.returns.receipts import apply_receipt
from process_apis.returns.systems import OrderFacts, TaxReversal
from process_apis.returns.worker import ReturnWorker
from service_kit.database import Database
from service_kit.http.system_calls import RetryPolicy
from service_kit.settings import Settings

NOW = datetime.now(UTC)
NO_WAIT = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)


def facts() -> OrderFacts:
    sales_order = msgspec.convert(
        {
            "tenant": "demo",
            "order_id": "shopify-7001",
            "channel": "shopify",
            "external_id": "7001",
            "currency": "USD",
            "lines": [
                {
                    "line_id": "11",
                    "sku": "TSHIRT-BLK-M",
                    "title": "Tee",
                    "quantity": 3,
                    "unit_price": {"amount": "24.00", "currency": "USD"},
                    "discount": {"amount": "10.00", "currency": "USD"},
                }
            ],
            "total": {"amount": "62.00", "currency": "USD"},
            "financial_status": "paid",
            "placed_at": NOW.isoformat(),
            "updated_at": NOW.isoformat(),
            "payment_gateway": "shopify_payments",
        },
        SalesOrder,
    )
    view = msgspec.convert(
        {
            "order_id": "shopify-7001",
            "channel": "shopify",
            "source_id": "7001",
            "state": "invoiced",
            "version": 9,
            "erp_order_ref": "SO-000007",
            "hold_reason": None,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
            "lines": [
                {
                    "line_id": "11",
                    "sku": "TSHIRT-BLK-M",
                    "quantity": 3,
                    "state": "invoiced",
                    "reserved": 3,
                    "backordered": 0,
                    "shipped": 3,
                },
            ],
            "fulfillment_requests": {"DC-EAST": "FR-1"},
            "created_at": NOW.isoformat(),
            "updated_at": NOW.isoformat(),
            "shipments": [
                {
                    "shipment_id": "S1",
                    "location_id": "DC-EAST",
                    "status": "done",
                    "packages": [],
                    "lines": [{"line_id": "11", "sku": "TSHIRT-BLK-M", "quantity": 3}],
                    "shipped_at": NOW.isoformat(),
                    "invoice_id": "INV-000007",
                },
            ],
        },
        OrderView,
    )
    return OrderFacts(view=view, sales_order=sales_order)


class WorkerDied(BaseException):
    """Stands for the process being killed: nothing after the side effect runs."""


class RecordingReturnSystems:
    """Keeps what each system was asked and, like the real APIs, answers a repeated key with its first answer."""

    def __init__(self, channel_total: Decimal | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.memos: dict[str, tuple[str, Money]] = {}
        self.refunds: dict[str, tuple[str, Money]] = {}
        self.die_after: set[str] = set()
        self.channel_total = channel_total

    async def order(self, tenant: str, order_id: str) -> OrderFacts:
        return facts()

    async def order_id_for_channel_order(self, tenant: str, channel_order_id: str) -> str:
        return f"shopify-{channel_order_id}"

    async def reverse_tax(
        self, tenant: str, order_id: str, rma: str, units: dict[str, int], shipping: Decimal | None
    ) -> TaxReversal:
        self.calls.append(("tax", f"tax-refund:{rma}"))
        # the line's 62.00 after discount, a third per unit: 20.67 (half up), 8.875% tax on it
        return msgspec.convert(
            {
                "refund_id": "TR-1",
                "lines": [{"line_id": "11", "amount": "20.67", "tax": "1.83"}],
                "shipping_amount": "0",
                "shipping_tax": "0",
            },
            TaxReversal,
        )

    async def invoices(self, tenant: str, erp_order_ref: str) -> list[BilledInvoice]:
        return [BilledInvoice(invoice_id="INV-000007", units={"11": 3}, remaining=Decimal("62.00"))]

    async def credit_memo(self, tenant: str, rma: str, invoice_id: str, amount: Money) -> str:
        key = f"credit-memo:{rma}:{invoice_id}"
        self.calls.append(("erp", key))
        memo_id, _ = self.memos.setdefault(key, (f"CM-{len(self.memos) + 1:06d}", amount))
        if "erp" in self.die_after:
            self.die_after.discard("erp")
            raise WorkerDied("after the credit memo")
        return memo_id

    async def channel_refund(
        self, tenant: str, order: SalesOrder, rma: str, units: dict[str, int], shipping: Money, amount: Money
    ) -> tuple[str, Money | None]:
        key = f"refund:{rma}"
        self.calls.append(("shopify", key))
        total = amount if self.channel_total is None else Money(amount=self.channel_total, currency="USD")
        refund_id, refunded = self.refunds.setdefault(key, (f"RF-{len(self.refunds) + 1}", total))
        return refund_id, refunded


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url_for("returns"))
    yield database
    await database.dispose()


async def received_return(database: Database) -> str:
    """A return of one tee, authorized and received resellable: the worker's steps are next."""
    request = ReturnRequest(order_id="shopify-7001", lines=[{"line_id": "11", "quantity": 1, "reason": "unwanted"}])  # type: ignore[list-item]
    request = msgspec.convert(msgspec.to_builtins(request), ReturnRequest)
    async with database.transaction() as session:
        record, _ = await record_request(
            session,
            "demo",
            request,
            ReturnPolicy(restocking_fee_percent=Decimal("10")),
            source_reference="agent-1",
            channel="shopify",
            channel_order_id="7001",
            now=NOW,
        )
        await decide(session, record, facts(), NOW)
        rma = record.return_id
    receipt = ReturnReceipt(
        id="RR-1",
        tenant="demo",
        location_id="DC-EAST",
        lines=[{"sku": "TSHIRT-BLK-M", "quantity": 1, "condition": "resellable", "line_id": "11"}],  # type: ignore[list-item]
        received_at=NOW + timedelta(minutes=5),
        order_id="shopify-7001",
        return_authorization_id=rma,
    )
    async with database.transaction() as session:
        await apply_receipt(session, msgspec.convert(msgspec.to_builtins(receipt), ReturnReceipt))
    return rma


async def show(database: Database, rma: str) -> ReturnView:
    async with database.reading() as session:
        return await ReturnDesk(session).show("demo", rma)


async def run_until_idle(worker: ReturnWorker) -> None:
    for _ in range(20):
        if not await worker.run_due():
            return


async def test_a_worker_killed_between_credit_memo_and_refund_resumes_and_refunds_once(database: Database) -> None:
    rma = await received_return(database)
    systems = RecordingReturnSystems()
    systems.die_after.add("erp")
    dying = ReturnWorker(database, systems, retry=NO_WAIT, lease=timedelta(0))  # type: ignore[arg-type]

    await dying.run_due()  # calculate the refund
    with pytest.raises(WorkerDied):
        await dying.run_due()  # credit memo posted, then the process dies
    assert (await show(database, rma)).status == "refund_calculated", "nothing was recorded after the memo"

    await run_until_idle(ReturnWorker(database, systems, retry=NO_WAIT))  # type: ignore[arg-type]

    done = await show(database, rma)
    assert done.status == "closed"
    key = f"credit-memo:{rma}:INV-000007"
    assert [call for call in systems.calls if call[0] == "erp"] == [("erp", key), ("erp", key)], "replayed by key"
    assert len(systems.memos) == 1 and len(systems.refunds) == 1, "one credit memo, one refund"
    assert [call for call in systems.calls if call[0] == "shopify"] == [("shopify", f"refund:{rma}")]
    # 20.67 + 1.83 tax, less 10% of 20.67 (2.07): the same amount in the ERP and in Shopify
    assert done.refund is not None and done.refund.total == Money(amount=Decimal("20.43"), currency="USD")
    assert systems.memos[key][1] == systems.refunds[f"refund:{rma}"][1] == done.refund.total
    assert done.results["credit_memos"] == {"INV-000007": "CM-000001"}
    assert done.results["channel_refund_id"] == "RF-1"


async def test_a_refund_the_channel_and_the_erp_disagree_on_lands_on_the_worklist(database: Database) -> None:
    rma = await received_return(database)
    systems = RecordingReturnSystems(channel_total=Decimal("22.50"))

    await run_until_idle(ReturnWorker(database, systems, retry=NO_WAIT))  # type: ignore[arg-type]

    held = await show(database, rma)
    assert held.status == "on_hold"
    assert held.hold_reason == "the ERP credited 20.43 but the channel refunded 22.50 USD"
    async with database.reading() as session:
        events = (await session.scalars(select(ReturnsOutbox.event_type))).all()
    assert "return.exception.raised" in events, "the mismatch is announced for the order's worklist"
