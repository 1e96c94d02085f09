"""NetSuite request authentication: Token-Based Authentication (OAuth 1.0a, HMAC-SHA256), the OAuth 2.0 client
credentials (machine-to-machine) flow, or an OAuth 2.0 bearer token obtained out of band.

TBA signs every request (RFC 5849 section 3.4): the base string is the method, the URL without its query,
and the sorted OAuth and query parameters; the key is ``consumer_secret&token_secret``. NetSuite only
accepts HMAC-SHA256 and wants the account id as ``realm``.

The client credentials flow posts a JWT signed with the private key of the certificate mapped to the
integration (header ``kid`` = that certificate's id; claims ``iss`` = the integration's client id, ``scope``,
``aud`` = the token endpoint, ``iat``, ``exp`` at most an hour later; PS256/384/512 or ES256/384/512) to
``/services/rest/auth/oauth2/v1/token`` as an RFC 7523 client assertion, and gets an access token for an hour.
There is no refresh token: a new assertion is posted when the token is about to expire or NetSuite refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Generator, Sequence
from urllib.parse import quote

import httpx
from authlib.oauth1.rfc5849.signature import construct_base_string
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "TOKEN_PATH",
    "BearerAuthentication",
    "ClientCredentialsAuthentication",
    "TokenBasedAuthentication",
    "tba_signature",
]

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ASSERTION_LIFETIME = 300
"""Seconds an assertion is valid (NetSuite allows up to an hour; a short one is useless if it leaks)."""
_EXPIRY_MARGIN = 60
"""A token this close to its expiry is replaced before use, so no request carries one that lapses in flight."""

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


class ClientCredentialsAuthentication(httpx.Auth):
    """NetSuite's OAuth 2.0 client credentials (M2M) flow: a token fetched with a signed assertion, cached for
    its lifetime, fetched again before it expires or once when NetSuite answers 401."""

    requires_response_body = True
    """httpx reads each answer before handing it back to the flow (the token endpoint's JSON)."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        certificate_id: str,
        private_key_pem: bytes,
        algorithm: str = "PS256",
        scopes: Sequence[str] = ("rest_webservices",),
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.certificate_id = certificate_id
        self.algorithm = algorithm
        self.scopes = list(scopes)
        self._key = (ECKey if algorithm.startswith("ES") else RSAKey).import_key(private_key_pem)
        self._token: str | None = None
        self._expires_at = 0.0

    def assertion(self) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": self.algorithm, "kid": self.certificate_id}
        claims = {
            "iss": self.client_id,
            "scope": self.scopes,
            "aud": self.token_url,
            "iat": now,
            "exp": now + _ASSERTION_LIFETIME,
        }
        return jwt.encode(header, claims, self._key, algorithms=[self.algorithm])

    def _token_request(self) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.assertion(),
        }
        return httpx.Request("POST", self.token_url, data=form, headers={"Accept": "application/json"})

    def _keep(self, response: httpx.Response) -> bool:
        """Take the token from NetSuite's answer; ``False`` when it refused (that answer is then reported)."""
        if response.status_code != 200:
            self._token = None
            return False
        body = response.json()
        self._token = str(body["access_token"])
        self._expires_at = time.monotonic() + float(body.get("expires_in", 3600)) - _EXPIRY_MARGIN
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or time.monotonic() >= self._expires_at:
            token_response = yield self._token_request()
            if not self._keep(token_response):
                return  # the token endpoint's refusal (invalid_grant, an outage) is the answer the caller sees
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: a fresh token, once
            token_response = yield self._token_request()
            if self._keep(token_response):
                request.headers["Authorization"] = f"Bearer {self._token}"
                yield request
