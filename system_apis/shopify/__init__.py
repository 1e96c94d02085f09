"""The Shopify Admin API as a system: inventory quantities, fulfillments, refunds and cancellations."""
