"""Experience APIs: data shaped for one audience (storefronts, Shopify, the service portal)."""
