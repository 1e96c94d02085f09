"""The public contracts: what the gateway publishes at ``/openapi`` and ``/docs``."""
