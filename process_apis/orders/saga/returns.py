"""A return's progress on its order's timeline: one entry per return state, which does not change the order's
own state (a shipped order stays shipped; its returns are told alongside). Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical.returns import ReturnView
from process_apis.orders.models import OrderRecord
from process_apis.orders.saga.timeline import record_step

__all__ = ["record_return_news"]


async def record_return_news(session: AsyncSession, tenant: str, news: ReturnView) -> None:
    if not news.order_id:
        return
    order = await session.scalar(
        select(OrderRecord).where(OrderRecord.tenant == tenant, OrderRecord.order_id == news.order_id)
    )
    if order is None:
        return
    detail: dict[str, object] = {"return_id": news.return_id, "return_status": news.status, "source": news.source}
    if news.refund is not None:
        detail["refund_total"] = str(news.refund.total.amount)
    record_step(session, order, f"return_{news.status}", "returns", "done", order.state, detail)
