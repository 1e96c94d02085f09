"""A JSON log line is one parseable object whose timestamp is the record's own time, in UTC to the millisecond."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from service_kit.telemetry import JsonLogFormatter


def record_at(created: float, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("omnigate.gateway.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/é"), None)
    record.created = created
    record.__dict__.update(extra)
    return record


@given(st.floats(min_value=0, max_value=4_102_444_800) | st.integers(0, 4_102_444_800).map(lambda s: s + 0.9999996))
def test_the_timestamp_is_the_records_time_as_isoformat_writes_it(created: float) -> None:
    line = json.loads(JsonLogFormatter("gateway").format(record_at(created)))
    assert line["ts"] == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_one_formatter_renders_each_second_afresh() -> None:
    formatter = JsonLogFormatter("gateway")
    first, second = (json.loads(formatter.format(record_at(t)))["ts"] for t in (1_796_000_000.25, 1_796_000_061.5))
    assert (first, second) == ("2026-11-30T00:53:20.250+00:00", "2026-11-30T00:54:21.500+00:00")


def test_fields_and_message_are_kept_whatever_their_type() -> None:
    line = json.loads(
        JsonLogFormatter("gateway").format(record_at(1.0, client_id="c-1", status=200, latency_ms=0.5, tenant=object))
    )
    assert (line["message"], line["client_id"], line["status"], line["latency_ms"]) == ("GET /é", "c-1", 200, 0.5)
    assert line["tenant"] == str(object), "anything else is written as its str()"
