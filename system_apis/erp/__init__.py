"""ERP system API: the item master and customers, by tenant, in the canonical model."""
