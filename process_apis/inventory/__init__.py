"""Inventory availability process: available-to-sell per SKU and location, from WMS positions less
reservations and safety stock, kept current by WMS and ERP events."""
