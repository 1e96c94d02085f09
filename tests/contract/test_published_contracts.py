"""The committed contracts in openapi/ are exactly what the code serves."""

from __future__ import annotations

import json
from pathlib import Path

from omnigate.contracts import build_contracts, stale_contracts

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"


def test_committed_contracts_match_the_code() -> None:
    assert stale_contracts(OPENAPI) == [], "API changed: run `omnigate openapi export` and commit openapi/"


def test_each_api_version_publishes_only_its_own_paths() -> None:
    documents = build_contracts()
    for name in ("erp.v1.json", "wms.v1.json", "inventory.v1.json", "storefront.v1.json", "tax.v1.json"):
        prefix = "/" + name.replace(".json", "").replace(".", "/")
        paths = documents[name]["paths"]
        assert paths, name
        assert all(path.startswith(prefix) for path in paths), name


def test_errors_are_documented_as_problem_details() -> None:
    document = json.loads((OPENAPI / "storefront.v1.json").read_text())
    responses = document["paths"]["/storefront/v1/availability"]["get"]["responses"]
    for status in ("400", "404", "503"):
        assert "application/problem+json" in responses[status]["content"]


def test_canonical_schema_covers_the_model() -> None:
    schema = json.loads((OPENAPI / "canonical.schema.json").read_text())
    for name in ("Money", "SalesOrder", "InventoryPosition", "ShipmentNotice", "ReturnAuthorization", "EventEnvelope"):
        assert name in schema["$defs"]
    assert schema["$defs"]["Money"]["properties"]["amount"]["format"] == "decimal"
