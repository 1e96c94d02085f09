"""NetSuite request authentication: Token-Based Authentication (OAuth 1.0a, HMAC-SHA256) or an OAuth 2.0
bearer token (machine-to-machine).

TBA signs every request (RFC 5849 section 3.4): the base string is the method, the URL without its query,
and the sorted OAuth and query parameters; the key is ``consumer_secret&token_secret``. NetSuite only
accepts HMAC-SHA256 and wants the account id as ``realm``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Generator
from urllib.parse import quote

import httpx
from authlib.oauth1.rfc5849.signature import construct_base_string

__all__ = ["BearerAuthentication", "TokenBasedAuthentication", "tba_signature"]

SIGNATURE_METHOD = "HMAC-SHA256"


def tba_signature(
    method: str, url: httpx.URL, oauth_params: list[tuple[str, str]], consumer_secret: str, token_secret: str
) -> str:
    """The base64 HMAC-SHA256 signature of a request (query parameters included, body not)."""
    params = [*oauth_params, *url.params.multi_items()]
    base_url = str(url.copy_with(query=None, fragment=None))
    base_string = construct_base_string(method, base_url, params)
    key = f"{quote(consumer_secret, safe='')}&{quote(token_secret, safe='')}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class TokenBasedAuthentication(httpx.Auth):
    """Signs each request with the integration's consumer key and the user's access token (TBA)."""

    def __init__(
        self, *, account: str, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str
    ) -> None:
        self.realm = account.upper().replace("-", "_")
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.token_id = token_id
        self.token_secret = token_secret

    def authorization(self, method: str, url: httpx.URL) -> str:
        oauth_params = [
            ("oauth_consumer_key", self.consumer_key),
            ("oauth_token", self.token_id),
            ("oauth_signature_method", SIGNATURE_METHOD),
            ("oauth_timestamp", str(int(time.time()))),
            ("oauth_nonce", secrets.token_hex(16)),
            ("oauth_version", "1.0"),
        ]
        signature = tba_signature(method, url, oauth_params, self.consumer_secret, self.token_secret)
        fields = [("realm", self.realm), *oauth_params, ("oauth_signature", signature)]
        return "OAuth " + ",".join(f'{name}="{quote(value, safe="")}"' for name, value in fields)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization(request.method, request.url)
        yield request


class BearerAuthentication(httpx.Auth):
    """An OAuth 2.0 access token obtained out of band (NetSuite's client-credentials M2M flow)."""

    def __init__(self, access_token: str) -> None:
        self.access_token = access_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        yield request
