"""Storefront experience API: what a shopper's page needs, shaped for it (availability first)."""
