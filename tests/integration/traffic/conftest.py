"""Traffic policy tests run embedded (memory limits) and on servers (Redis limits), like the OAuth tests."""

from tests.integration.oauth.conftest import asgi_client, client, settings

__all__ = ["asgi_client", "client", "settings"]
