"""With ``OMNIGATE_OTLP_ENDPOINT`` set, a served service exports its spans over OTLP/HTTP to that collector, in the
trace the caller started: an operator points Omnigate at a collector with one variable."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.e2e.test_distributed import OMNIGATE, ROOT, free_port
from tests.helpers import eventually

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP receiver: keeps every export request posted to ``/v1/traces``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ExportHandler)
        self.exports: list[tuple[str, ExportTraceServiceRequest]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ExportHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            self.server.exports.append((self.headers["Content-Type"], ExportTraceServiceRequest.FromString(body)))
        self.send_response(200 if self.path == "/v1/traces" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


async def test_a_served_service_exports_the_callers_trace_to_the_collector(
    collector: Collector, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OMNIGATE_DATA_DIR": str(tmp_path),
        "OMNIGATE_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # the batch processor's flush interval (ms), so the test waits little
        "OMNIGATE_LOG_LEVEL": "WARNING",
    }
    env.pop("OMNIGATE_DATABASE_URL", None)
    subprocess.run([OMNIGATE, "db", "upgrade"], env=env, cwd=ROOT, check=True, timeout=120, capture_output=True)
    log = (tmp_path / "erp.log").open("wb")
    serve = [OMNIGATE, "serve", "erp", "--port", str(port)]
    process = subprocess.Popen(serve, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:

            async def traced_call() -> int:
                try:
                    answer = await http.get("/health", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
                except httpx.TransportError:
                    return 0
                return answer.status_code

            assert await eventually(traced_call, lambda status: status == 200, within=60) == 200

            def exported_spans() -> list[tuple[str, str]]:
                return [
                    (attribute.value.string_value, span.name)
                    for _, request in collector.exports
                    for resource_spans in request.resource_spans
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == "service.name"
                    for scope_spans in resource_spans.scope_spans
                    for span in scope_spans.spans
                    if span.trace_id == bytes.fromhex(TRACE_ID)
                ]

            async def exported() -> list[tuple[str, str]]:
                return exported_spans()

            spans = await eventually(exported, bool, within=20)
    finally:
        process.terminate()
        process.wait(timeout=15)

    assert {service for service, _ in spans} == {"erp"}
    assert any("/health" in name or name.startswith("GET") for _, name in spans), spans
    assert {content_type for content_type, _ in collector.exports} == {"application/x-protobuf"}
