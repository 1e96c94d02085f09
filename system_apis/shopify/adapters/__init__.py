"""Backends of the Shopify Admin system API: one module per backend, all behind :class:`ShopifyAdmin`."""
