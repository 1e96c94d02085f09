"""Process APIs: workflows across system APIs (inventory availability, orders, returns)."""
