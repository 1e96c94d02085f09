"""System APIs: one system of record each (ERP, WMS, ...), exposed in the canonical model."""
