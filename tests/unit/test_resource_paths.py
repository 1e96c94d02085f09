"""Identifiers from callers stay one path segment when a service calls another."""

from service_kit.http.paths import resource_path


def test_each_identifier_is_one_percent_encoded_segment() -> None:
    assert resource_path("/orders/v1/orders/{}/timeline", "shopify-1") == "/orders/v1/orders/shopify-1/timeline"
    assert resource_path("/orders/v1/orders/{}", "a/b?c=1#d") == "/orders/v1/orders/a%2Fb%3Fc%3D1%23d"
    assert resource_path("/orders/v1/exceptions/{}/{}", 7, "retry") == "/orders/v1/exceptions/7/retry"
