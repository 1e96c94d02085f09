"""A published major version only grows: the contract check refuses what would break its clients and lets
additions through. Checked on the real published documents, changed the way a careless edit would."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from omnigate.contract_diff import breaking_changes
from omnigate.contracts import BreakingChange, breaking_contracts, export_contracts

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"


def published(name: str) -> dict[str, Any]:
    return json.loads((OPENAPI / name).read_text())


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_the_code_breaks_no_published_version() -> None:
    assert breaking_contracts(OPENAPI) == {}


def test_additions_are_not_breaking() -> None:
    old = published("erp.v1.json")
    new = copy.deepcopy(old)
    new["paths"]["/erp/v1/price-lists"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    schema(new, "ProductCatalogItem")["properties"]["brand"] = {"type": "string"}
    item_write = schema(new, "ItemWrite")
    item_write["properties"]["season"] = {"type": "string"}
    assert breaking_changes(old, new) == []


def test_removed_path_and_method_are_breaking() -> None:
    old = published("erp.v1.json")
    new = copy.deepcopy(old)
    path = next(p for p in new["paths"] if "put" in new["paths"][p])
    del new["paths"][path]["put"]
    other = next(p for p in new["paths"] if p != path)
    del new["paths"][other]
    changes = breaking_changes(old, new)
    assert f"PUT {path}: method removed" in changes
    assert f"{other}: path removed" in changes


def test_removed_or_retyped_response_field_is_breaking() -> None:
    old = published("storefront.v2.json")
    new = copy.deepcopy(old)
    del schema(new, "ItemAvailability")["properties"]["purchasable"]
    schema(new, "ItemAvailability")["properties"]["available_to_sell"] = {"type": "string"}
    changes = breaking_changes(old, new)
    assert any("items[].purchasable: response field removed" in c for c in changes), changes
    assert any("items[].available_to_sell: response type changed" in c for c in changes), changes


def test_a_response_body_or_field_no_longer_declared_is_breaking() -> None:
    old = published("wms.v1.json")
    new = copy.deepcopy(old)
    cancel = new["paths"]["/wms/v1/fulfillment-requests/{request_id}/cancel"]["post"]["responses"]["200"]
    cancel["content"]["application/json"]["schema"] = {}  # what a handler annotated ``Response[Any]`` publishes
    pick = new["paths"]["/wms/v1/fulfillment-requests/{request_id}/pick"]["post"]["responses"]["200"]
    del pick["content"]
    changes = breaking_changes(old, new)
    cancel_path = "POST /wms/v1/fulfillment-requests/{request_id}/cancel 200"
    assert any(c.startswith(cancel_path) and "response schema dropped" in c for c in changes), changes
    assert "POST /wms/v1/fulfillment-requests/{request_id}/pick: response 200 body no longer declared" in changes


def test_new_required_request_field_or_parameter_is_breaking() -> None:
    old = published("erp.v1.json")
    new = copy.deepcopy(old)
    item_write = schema(new, "ItemWrite")
    item_write["properties"]["season"] = {"type": "string"}
    item_write.setdefault("required", []).append("season")
    operation = new["paths"]["/erp/v1/items"]["get"]
    operation.setdefault("parameters", []).append(
        {"name": "channel", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    changes = breaking_changes(old, new)
    assert any("body.season: request field is now required" in c for c in changes), changes
    assert any("query parameter 'channel': newly required" in c for c in changes), changes


def test_narrowed_request_enum_is_breaking() -> None:
    old = published("storefront.v1.json")
    old = copy.deepcopy(old)
    operation = old["paths"]["/storefront/v1/availability"]["get"]
    operation["parameters"].append({"name": "view", "in": "query", "schema": {"enum": ["compact", "full"]}})
    new = copy.deepcopy(old)
    new["paths"]["/storefront/v1/availability"]["get"]["parameters"][-1]["schema"]["enum"] = ["compact"]
    widened = copy.deepcopy(old)
    widened["paths"]["/storefront/v1/availability"]["get"]["parameters"][-1]["schema"]["enum"] = [
        "compact",
        "full",
        "x",
    ]
    assert breaking_changes(old, new) == [
        "GET /storefront/v1/availability query parameter 'view': enum no longer accepts ['full']"
    ]
    assert breaking_changes(old, widened) == []


def test_export_refuses_to_overwrite_a_published_version_with_a_breaking_change(tmp_path: Path) -> None:
    contract = published("storefront.v2.json")
    schema(contract, "ItemAvailability")["properties"]["legacy_flag"] = {"type": "boolean"}
    (tmp_path / "storefront.v2.json").write_text(json.dumps(contract))

    with pytest.raises(BreakingChange, match="legacy_flag: response field removed"):
        export_contracts(tmp_path)
    assert json.loads((tmp_path / "storefront.v2.json").read_text()) == contract, "nothing was written"
