"""RFC 9457 problem details for every error a service can answer with.

Business errors raise a :class:`Problem` subclass that carries its status. Framework errors (validation,
404, 405, 413) and upstream failures are converted at the edge; anything else is a bug and answers a 500
problem that names the trace id and never the stack trace.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import msgspec
from litestar import Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from service_kit.telemetry import current_trace_id

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "Problem",
    "ProblemDocument",
    "ServiceUnavailable",
    "UpstreamProblem",
    "problem_exception_handlers",
    "problem_responses",
    "raise_for_upstream",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://omnigate.dev/problems/"

logger = logging.getLogger(__name__)
_MISSING = re.compile(r"Missing required (?P<source>[a-z]+) parameter '(?P<field>[^']+)'")


class Problem(ProblemDetailsException):
    """A problem the caller can act on; subclasses fix the status and the problem type."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title_text: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        title: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        code = code or self.code
        self.problem_code = code
        """This instance's machine-readable code (the class's default unless one was given)."""
        super().__init__(
            detail=detail,
            status_code=status or self.status,
            type_=PROBLEM_TYPE_BASE + code.replace("_", "-"),
            title=title or self.title_text,
            extra={"code": code, **(extra or {})},
            headers=headers,
        )


class BadRequest(Problem):
    status = 400
    code = "bad_request"
    title_text = "Bad request"


class Forbidden(Problem):
    status = 403
    code = "forbidden"
    title_text = "Forbidden"


class NotFound(Problem):
    status = 404
    code = "not_found"
    title_text = "Not found"


class Conflict(Problem):
    status = 409
    code = "conflict"
    title_text = "Conflict"


class ServiceUnavailable(Problem):
    status = 503
    code = "service_unavailable"
    title_text = "Service unavailable"


class ProblemDocument(msgspec.Struct, kw_only=True):
    """The shape of every ``application/problem+json`` body, as published in the OpenAPI contracts."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    """Machine-readable reason, stable across releases (``unknown_sku``, ``invalid_request``, ...)."""
    trace_id: str | None = None
    errors: list[dict[str, str]] | None = None
    """For ``invalid_request``: each invalid field, where it was (query, body, header) and why."""


_STANDARD_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def _problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title or _STANDARD_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        **(extra or {}),
    }
    if trace_id := current_trace_id():
        body["trace_id"] = trace_id
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _handle_problem(request: Request[Any, Any, Any], exc: ProblemDetailsException) -> Response[Any]:
    extra = dict(exc.extra) if isinstance(exc.extra, dict) else {}
    code = str(extra.pop("code", "error"))
    return _problem_response(
        request,
        status=exc.status_code,
        code=code,
        detail=exc.detail,
        title=exc.title,
        extra=extra,
        headers=exc.headers,
    )


def _handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {
                    "field": item.get("key", ""),
                    "source": str(getattr(item.get("source"), "value", item.get("source") or "body")),
                    "message": item.get("message", ""),
                }
            )
    if not errors and (missing := _MISSING.search(exc.detail or "")):
        errors.append({"field": missing["field"], "source": missing["source"], "message": "is required"})
    fields = ", ".join(f"{e['source']} '{e['field']}'" for e in errors if e["field"])
    detail = f"Invalid {fields}: {errors[0]['message']}" if fields else exc.detail
    return _problem_response(request, status=400, code="invalid_request", detail=detail, extra={"errors": errors})


def _handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return _handle_internal(request, exc)
    code = _STANDARD_TITLES.get(status, "error").lower().replace(" ", "_")
    detail = exc.detail
    if status == 404 and detail == "Not Found":
        detail = f"No resource at {request.method} {request.url.path}"
    elif status == 413:
        detail = "The request body is larger than this API accepts"
    return _problem_response(request, status=status, code=code, detail=detail, headers=exc.headers)


def _handle_upstream(request: Request[Any, Any, Any], exc: httpx.TransportError) -> Response[Any]:
    """An upstream we depend on is slow or down: say so, never as a 500."""
    # A connect timeout means nothing was sent: the upstream is unreachable, not slow (httpx-aiohttp
    # also reports a refused connection as ConnectTimeout).
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return _problem_response(
            request, status=504, code="upstream_timeout", detail="An upstream service did not answer in time"
        )
    return _problem_response(
        request,
        status=503,
        code="upstream_unavailable",
        detail="An upstream service is unavailable; retry later",
        headers={"Retry-After": "5"},
    )


def _handle_internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        detail="An unexpected error occurred; quote the trace_id when reporting it",
    )


def problem_exception_handlers() -> ExceptionHandlersMap:
    """Exception handlers that turn every error into ``application/problem+json``."""
    return {
        ProblemDetailsException: _handle_problem,
        ValidationException: _handle_validation,
        HTTPException: _handle_http,
        httpx.TransportError: _handle_upstream,
        Exception: _handle_internal,
    }


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries declaring that a route may answer these statuses with a problem document."""
    return {
        status: ResponseSpec(
            data_container=ProblemDocument,
            description=_STANDARD_TITLES.get(status, "Error"),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }


class UpstreamProblem(Problem):
    """A problem an upstream service answered with, passed on to our caller."""

    def __init__(self, status: int, detail: str, *, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail, code=code, title=_STANDARD_TITLES.get(status, "Error"), extra=extra, status=status)


def raise_for_upstream(response: httpx.Response, *, upstream: str) -> None:
    """Pass an upstream's 4xx problem on unchanged; turn its 5xx into a 502 naming the upstream."""
    if response.is_success:
        return
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        passthrough = {k: v for k, v in body.items() if k not in _PROBLEM_MEMBERS}
        raise UpstreamProblem(
            response.status_code,
            str(body.get("detail") or f"{upstream} rejected the request"),
            code=str(body.get("code") or "upstream_rejected"),
            extra=passthrough,
        )
    raise UpstreamProblem(
        502,
        f"upstream service '{upstream}' failed with status {response.status_code}",
        code="upstream_error",
        extra={"upstream": upstream},
    )


_PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "code", "trace_id"})
