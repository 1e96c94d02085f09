"""A relayed call reaches exactly the URL httpx would have built from the upstream's base and the caller's target,
whether it took the fast path or httpx's parser."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.proxy import _URL_SAFE
from service_kit.http.relay_targets import relayed_url

BASES = ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "https://erp.internal", "http://[::1]:9000/api/"]
TARGETS = [
    "/storefront/v1/availability?sku=TSHIRT-BLK-M",
    "/orders/v1/orders/a%2Fb/timeline",
    "/x?",
    "/x?a=1&a=2&b=%E2%9C%93",
    "/caf%C3%A9/[1]/@home:8080;v=1",
    "/x/with#fragment?q=1",
    "/x?q=50%",
    "/x?q=%zz",
    "/x?next=/y?z=1",
    "/",
    "/a/./b",
    "/a/b/../../admin/v1/clients",
    "/a/..",
    "/.well-known/jwks.json",
    "/x?path=/./y",
]


def expected(base: str, target: str) -> httpx.URL:
    return httpx.URL(str(httpx.URL(base)).rstrip("/") + target)


def assert_same(url: httpx.URL, want: httpx.URL) -> None:
    assert (str(url), url.raw_path, url.host, url.port) == (str(want), want.raw_path, want.host, want.port)
    assert (url.path, url.query, url.fragment) == (want.path, want.query, want.fragment)


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("target", TARGETS)
def test_a_relayed_url_is_the_one_httpx_would_parse(base: str, target: str) -> None:
    assert_same(relayed_url(httpx.URL(base), target), expected(base, target))


@given(st.text(max_size=40), st.text(max_size=40) | st.none())
def test_any_target_the_proxy_encodes_reaches_the_same_url(path: str, query: str | None) -> None:
    target = quote("/" + path, safe=_URL_SAFE) + ("" if query is None else "?" + quote(query, safe=_URL_SAFE))
    assert_same(relayed_url(httpx.URL("http://127.0.0.1:8081/"), target), expected("http://127.0.0.1:8081", target))


def test_a_request_built_on_it_is_sent_to_that_url() -> None:
    request = httpx.Request("GET", relayed_url(httpx.URL("http://erp.internal:8080/"), "/erp/v1/items?sku=A%20B"))
    assert (request.url.raw_path, request.headers["host"]) == (b"/erp/v1/items?sku=A%20B", "erp.internal:8080")


def test_a_target_too_long_for_httpx_is_refused_as_httpx_refuses_it() -> None:
    with pytest.raises(httpx.InvalidURL):
        relayed_url(httpx.URL("http://127.0.0.1:8081/"), "/" + "a" * 70_000)
