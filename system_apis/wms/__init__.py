"""WMS system API: locations and inventory positions by state, for warehouses, stores and 3PL nodes."""
