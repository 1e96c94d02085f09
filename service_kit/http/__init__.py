"""How services reach each other: a registry picks the transport, the client adds resilience."""

from service_kit.http.clients import ServiceClients
from service_kit.http.registry import ServiceRegistry, UnknownServiceError
from service_kit.http.resilience import CircuitBreaker, CircuitOpenError, ResilientTransport

__all__ = [
    "CircuitBreaker",
    "CircuitOpenError",
    "ResilientTransport",
    "ServiceClients",
    "ServiceRegistry",
    "UnknownServiceError",
]
