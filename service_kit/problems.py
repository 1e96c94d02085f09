"""RFC 9457 problem details for every error a service can answer with.

Business errors raise a :class:`Problem` subclass that carries its status. Framework errors (validation,
404, 405, 413) and upstream failures are converted at the edge; anything else is a bug and answers a 500
problem that names the trace id and never the stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import msgspec
from litestar import Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

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
    "problem_response",
    "problem_responses",
    "raise_for_upstream",
    "unprocessable_validation",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://omnigate.dev/problems/"

logger = logging.getLogger(__name__)
_MISSING_MEMBER = re.compile(r"missing required field `(?P<field>[^`]+)`")
"""msgspec names a missing member only in its message (the path points at the object that lacks it)."""
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


def problem_response(request: Request[Any, Any, Any], problem: Problem) -> Response[Any]:
    """``problem`` as a response a handler returns instead of raising, so its transaction still commits
    (a refusal that is itself recorded, such as a rejected return)."""
    return _handle_problem(request, problem)


def _handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return _validation_response(request, exc, body_status=400)


def unprocessable_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Exception handler for routes whose invalid body is a 422 ``invalid_request`` (same document as the 400;
    invalid headers, query or path parameters stay 400).

    For a route-level ``exception_handlers={ValidationException: unprocessable_validation}`` where the
    contract says so (e.g. an adjustment with a missing or unknown reason code)."""
    return _validation_response(request, exc, body_status=422)


def _validation_response(
    request: Request[Any, Any, Any], exc: ValidationException, *, body_status: int
) -> Response[Any]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = item.get("key", "")
            if (required := _MISSING_MEMBER.search(str(item.get("message", "")))) is not None:
                field = f"{field}.{required['field']}" if field and field != "data" else required["field"]
            errors.append(
                {
                    "field": field,
                    "source": str(getattr(item.get("source"), "value", item.get("source") or "body")),
                    "message": item.get("message", ""),
                }
            )
    if not errors and (missing := _MISSING.search(exc.detail or "")):
        errors.append({"field": missing["field"], "source": missing["source"], "message": "is required"})
    fields = ", ".join(f"{e['source']} '{e['field']}'" for e in errors if e["field"])
    detail = f"Invalid {fields}: {errors[0]['message']}" if fields else exc.detail
    status = body_status if errors and all(e["source"] == "body" for e in errors) else 400
    return _problem_response(request, status=status, code="invalid_request", detail=detail, extra={"errors": errors})


def _handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500 and (body_error := _misread_body_error(exc)) is not None:
        return body_error(request)
    if status >= 500:
        return _handle_internal(request, exc)
    code = _STANDARD_TITLES.get(status, "error").lower().replace(" ", "_")
    detail = exc.detail
    if status == 404 and detail == "Not Found":
        detail = f"No resource at {request.method} {request.url.path}"
    elif status == 413:
        detail = "The request body is larger than this API accepts"
    return _problem_response(request, status=status, code=code, detail=detail, headers=exc.headers)


_BODY_PATH = re.compile(r"^(?P<message>.*?) - at `\$\.data\.(?P<field>[^`]+)`$")


def _misread_body_error(exc: HTTPException) -> Callable[[Request[Any, Any, Any]], Response[Any]] | None:
    """Litestar reports an invalid body member that shares its name with a dependency (``tenant`` in a
    ``ShipmentNotice``) as a failed dependency, i.e. a 500. It is the caller's input: answer a 400 naming it."""
    cause = exc.__cause__
    if not isinstance(cause, msgspec.ValidationError) or (found := _BODY_PATH.match(str(cause))) is None:
        return None
    field, message = found["field"], found["message"]

    def respond(request: Request[Any, Any, Any]) -> Response[Any]:
        errors = [{"field": field, "source": "body", "message": message}]
        detail = f"Invalid body '{field}': {message}"
        return _problem_response(request, status=400, code="invalid_request", detail=detail, extra={"errors": errors})

    return respond


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


_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL: serialization failure, deadlock detected, lock not available."""


def _handle_database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A transaction that lost a lock race (SQLite busy past its timeout, a PostgreSQL deadlock or serialization
    failure) was rolled back whole: the caller may retry it, so it is a 503, not a 500."""
    cause = exc.orig
    message = str(cause).lower()
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if "database is locked" in message or "database is busy" in message or sqlstate in _TRANSIENT_SQLSTATES:
        logger.warning("database busy on %s %s: %s", request.method, request.url.path, cause)
        return _problem_response(
            request,
            status=503,
            code="database_busy",
            detail="The database was busy and nothing was written; retry the request",
            headers={"Retry-After": "1"},
        )
    return _handle_internal(request, exc)


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
        DBAPIError: _handle_database,
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
