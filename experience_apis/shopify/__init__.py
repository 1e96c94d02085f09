"""Shopify as an audience: webhook intake (orders, refunds) and the mapping of its payloads."""
