"""The published JSON Schema covers the whole model, resolves, and says what the decoders enforce."""

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import msgspec

import canonical
from canonical import CANONICAL_TYPES, canonical_json_schema

MODULES = [
    "address",
    "catalog",
    "customer",
    "events",
    "fulfillment",
    "inventory",
    "money",
    "orders",
    "returns",
    "schema",
    "streams",
    "tenancy",
    "timestamps",
]


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_the_document_is_draft_2020_12_with_every_struct_under_defs() -> None:
    schema = canonical_json_schema()

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert set(schema["$defs"]) == {struct.__name__ for struct in CANONICAL_TYPES}
    assert list(schema["$defs"]) == sorted(schema["$defs"])


def test_every_reference_resolves_inside_the_document() -> None:
    schema = canonical_json_schema()

    found = set(refs(schema))

    assert found
    assert {ref.removeprefix("#/$defs/") for ref in found} <= set(schema["$defs"])


def test_every_public_struct_of_the_package_is_in_the_schema() -> None:
    public = {
        getattr(canonical, name)
        for name in canonical.__all__
        if inspect.isclass(getattr(canonical, name)) and issubclass(getattr(canonical, name), msgspec.Struct)
    }

    assert public == set(CANONICAL_TYPES)


def test_the_schema_states_the_constraints_the_decoders_enforce() -> None:
    defs = canonical_json_schema()["$defs"]

    amount = defs["Money"]["properties"]["amount"]
    assert (amount["type"], amount["format"]) == ("string", "decimal")
    assert defs["Money"]["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert defs["Money"]["required"] == ["amount", "currency"]
    assert defs["SalesOrder"]["properties"]["lines"]["minItems"] == 1
    assert defs["OrderLine"]["properties"]["quantity"]["minimum"] == 0
    assert defs["OrderLine"]["properties"]["sku"]["pattern"] == canonical.SKU_PATTERN
    assert defs["ShippedLine"]["properties"]["quantity"]["exclusiveMinimum"] == 0
    assert defs["InventoryPosition"]["properties"]["tenant"]["pattern"] == canonical.TENANT_PATTERN
    assert defs["EventEnvelope"]["properties"]["occurred_at"]["format"] == "date-time"
    assert "on_hand" in defs["InventoryPosition"]["required"]
    assert "committed" not in defs["InventoryPosition"]["required"]


def test_the_schema_is_plain_json() -> None:
    schema = canonical_json_schema()

    assert msgspec.json.decode(msgspec.json.encode(schema)) == schema


def test_every_name_in_every_all_exists() -> None:
    for module_name in MODULES:
        module = importlib.import_module(f"canonical.{module_name}")
        for name in module.__all__:
            assert hasattr(module, name), f"canonical.{module_name} lacks {name}"
    for name in canonical.__all__:
        assert hasattr(canonical, name), name
