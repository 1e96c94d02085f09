"""A route's scopes follow the HTTP method, except for POSTs it lists as read-only (a tax quote)."""

from __future__ import annotations

import msgspec
import pytest

from gateway.routes import DEFAULT_POLICY_FILE, Route, load_policy


def route(**fields: object) -> Route:
    return msgspec.convert(
        {"api": "tax", "versions": [1], "upstream": "tax", "read_scopes": ["tax:read"], "write_scopes": ["tax:write"]}
        | fields,
        Route,
    )


@pytest.mark.parametrize(
    ("method", "path", "scopes"),
    [
        ("GET", "/transactions", ["tax:read"]),
        ("POST", "/calculate", ["tax:read"]),
        ("POST", "/calculate/", ["tax:read"]),
        ("POST", "/transactions", ["tax:write"]),
        ("POST", "/calculate/../transactions", ["tax:write"]),
        ("PUT", "/calculate", ["tax:write"]),
        ("POST", "", ["tax:write"]),
    ],
)
def test_read_only_posts_need_the_read_scopes(method: str, path: str, scopes: list[str]) -> None:
    assert route(read_only_posts=["/calculate"]).required_scopes(method, path) == scopes


def test_without_read_only_posts_every_post_is_a_write() -> None:
    assert route().required_scopes("POST", "/calculate") == ["tax:write"]


@pytest.mark.parametrize("path", ["calculate", "/", "/a b", ""])
def test_read_only_posts_must_be_paths(path: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        route(read_only_posts=[path])


def test_the_shipped_policy_lets_a_tax_quote_through_with_tax_read() -> None:
    [tax] = [r for r in load_policy(DEFAULT_POLICY_FILE).routes if r.api == "tax"]

    assert tax.required_scopes("POST", "/calculate") == ["tax:read"]
    assert tax.required_scopes("POST", "/transactions") == ["tax:write"]
