"""Retries and the circuit breaker, against an upstream emulated at the transport (not our code)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from service_kit.http.resilience import CUT_BY_CALLER, CircuitBreaker, CircuitOpenError, ResilientTransport


def flaky_upstream(failures: int, status: int = 503) -> tuple[httpx.MockTransport, list[str]]:
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) <= failures:
            return httpx.Response(status)
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handle), calls


def client(transport: httpx.AsyncBaseTransport, breaker: CircuitBreaker | None = None) -> httpx.AsyncClient:
    resilient = ResilientTransport(
        transport, upstream="erp", breaker=breaker or CircuitBreaker(), retries=2, backoff=0.001
    )
    return httpx.AsyncClient(transport=resilient, base_url="http://erp")


async def test_idempotent_requests_are_retried_through_transient_failures() -> None:
    upstream, calls = flaky_upstream(failures=2)
    async with client(upstream) as http:
        response = await http.get("/erp/v1/items")

    assert response.status_code == 200
    assert calls == ["GET", "GET", "GET"]


async def test_non_idempotent_requests_are_sent_once() -> None:
    upstream, calls = flaky_upstream(failures=2)
    async with client(upstream) as http:
        response = await http.post("/erp/v1/sales-orders", json={})

    assert response.status_code == 503
    assert calls == ["POST"]


async def test_post_with_idempotency_key_may_be_retried() -> None:
    upstream, calls = flaky_upstream(failures=1)
    async with client(upstream) as http:
        response = await http.post("/erp/v1/sales-orders", json={}, headers={"Idempotency-Key": "k-1"})

    assert response.status_code == 200
    assert len(calls) == 2


async def test_breaker_opens_after_repeated_failures_and_fails_fast() -> None:
    upstream, calls = flaky_upstream(failures=100)
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=60)
    async with client(upstream, breaker) as http:
        await http.get("/a")
        await http.get("/a")
        with pytest.raises(CircuitOpenError):
            await http.get("/a")

    assert breaker.state == "open"
    assert len(calls) == 6, "the third call never reached the upstream"


async def test_breaker_half_opens_and_closes_on_success() -> None:
    upstream, _calls = flaky_upstream(failures=2)
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=0.0)
    resilient = ResilientTransport(upstream, upstream="erp", breaker=breaker, retries=0)
    async with httpx.AsyncClient(transport=resilient, base_url="http://erp") as http:
        assert (await http.get("/a")).status_code == 503
        assert breaker.state == "half_open"
        assert (await http.get("/a")).status_code == 503
        assert (await http.get("/a")).status_code == 200

    assert breaker.state == "closed"


async def test_connection_errors_surface_as_httpx_errors_after_retries() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client(httpx.MockTransport(refuse)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/a")


async def test_post_is_retried_when_the_connection_never_opened() -> None:
    attempts: list[str] = []

    def refuse_once(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201)

    async with client(httpx.MockTransport(refuse_once)) as http:
        response = await http.post("/erp/v1/sales-orders", json={})

    assert response.status_code == 201
    assert attempts == ["POST", "POST"]


def failing_send(error: BaseException) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error

    return httpx.MockTransport(handle)


async def test_a_send_its_own_caller_cut_short_counts_against_no_upstream() -> None:
    """The gateway stops a streamed body past its limit (or abandoned): the write fails, but the upstream did
    nothing wrong, and enough such callers must not open its circuit for everyone."""
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=60)
    resilient = ResilientTransport(failing_send(httpx.WriteError("body stopped")), upstream="erp", breaker=breaker)
    for _ in range(3):
        request = httpx.Request("PUT", "http://erp/erp/v1/items/A", extensions={CUT_BY_CALLER: lambda: True})
        with pytest.raises(httpx.WriteError):
            await resilient.handle_async_request(request)
    assert breaker.state == "closed"

    for _ in range(2):  # the same failure with the caller's body intact is the upstream's
        with pytest.raises(httpx.WriteError):
            await resilient.handle_async_request(httpx.Request("POST", "http://erp/erp/v1/sales-orders"))
    assert breaker.state == "open"


async def test_a_half_open_trial_the_caller_abandons_lets_the_next_call_try() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=0)
    breaker.record_failure()
    assert breaker.state == "half_open"
    abandoned = ResilientTransport(failing_send(asyncio.CancelledError()), upstream="erp", breaker=breaker)
    with pytest.raises(asyncio.CancelledError):
        await abandoned.handle_async_request(httpx.Request("GET", "http://erp/erp/v1/items"))

    upstream, _calls = flaky_upstream(failures=0)
    async with client(upstream, breaker) as http:
        answer = await http.get("/erp/v1/items")
    assert answer.status_code == 200, "the trial was freed, not left in flight for ever"
    assert breaker.state == "closed"
