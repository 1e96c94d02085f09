"""Where the ERP's documents are posted: its own books (reference) or a vendor ERP (NetSuite)."""

from system_apis.erp.adapters.base import (
    BackendFailed,
    BackendRejected,
    BackendUnavailable,
    CreditMemoPosting,
    CustomerStanding,
    ErpBackend,
    FulfillmentPosting,
    InvoicePosting,
    LineChangePosting,
    OrderPosting,
    PostedLine,
)

__all__ = [
    "BackendFailed",
    "BackendRejected",
    "BackendUnavailable",
    "CreditMemoPosting",
    "CustomerStanding",
    "ErpBackend",
    "FulfillmentPosting",
    "InvoicePosting",
    "LineChangePosting",
    "OrderPosting",
    "PostedLine",
]
