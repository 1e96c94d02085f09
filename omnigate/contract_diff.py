"""Breaking changes between two versions of a published OpenAPI contract.

A published major version only grows: a client written against it must keep working. Breaking is: a removed
path or method; a removed, retyped or no longer declared response field or body; a new required request field
or parameter; a request enum that no longer accepts a value it accepted. Additions (paths, optional fields,
response fields, enum values a client may send) are not breaking.
"""

from __future__ import annotations

from typing import Any

__all__ = ["breaking_changes"]

_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
Schema = dict[str, Any]


class _Resolver:
    def __init__(self, document: dict[str, Any]) -> None:
        self._schemas: dict[str, Schema] = document.get("components", {}).get("schemas", {})

    def __call__(self, schema: Schema | None, seen: frozenset[str] = frozenset()) -> Schema:
        schema = schema or {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name in seen:
                return {}
            return self(self._schemas.get(name, {}), seen | {name})
        return schema


def _variants(schema: Schema, resolve: _Resolver) -> list[Schema]:
    """The alternatives of a ``oneOf``/``anyOf`` (how Litestar spells ``X | None``), else the schema itself."""
    schema = resolve(schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        return [variant for alternative in alternatives for variant in _variants(alternative, resolve)]
    return [schema]


def _types(schema: Schema, resolve: _Resolver) -> set[str]:
    found: set[str] = set()
    for variant in _variants(schema, resolve):
        kind = variant.get("type")
        if isinstance(kind, list):
            found.update(kind)
        elif isinstance(kind, str):
            found.add(kind)
        elif "properties" in variant:
            found.add("object")
    return found


def _object(schema: Schema, resolve: _Resolver) -> Schema | None:
    for variant in _variants(schema, resolve):
        if "properties" in variant:
            return variant
    return None


def _items(schema: Schema, resolve: _Resolver) -> Schema | None:
    for variant in _variants(schema, resolve):
        if variant.get("type") == "array" and "items" in variant:
            return variant["items"]  # type: ignore[no-any-return]
    return None


def _response_changes(
    where: str, old: Schema, new: Schema, old_resolve: _Resolver, new_resolve: _Resolver, depth: int = 0
) -> list[str]:
    """Fields a client reads: none may disappear or change type."""
    if depth > 20:
        return []
    changes = []
    old_types, new_types = _types(old, old_resolve), _types(new, new_resolve)
    if old_types and new_types and old_types != new_types:
        return [f"{where}: response type changed from {sorted(old_types)} to {sorted(new_types)}"]
    if old_types and not new_types:
        return [f"{where}: response schema dropped (was {sorted(old_types)}, now undeclared)"]
    old_object, new_object = _object(old, old_resolve), _object(new, new_resolve)
    if old_object is not None and new_object is not None:
        for name, old_field in old_object["properties"].items():
            new_field = new_object["properties"].get(name)
            if new_field is None:
                changes.append(f"{where}.{name}: response field removed")
            else:
                changes += _response_changes(
                    f"{where}.{name}", old_field, new_field, old_resolve, new_resolve, depth + 1
                )
    old_items, new_items = _items(old, old_resolve), _items(new, new_resolve)
    if old_items is not None and new_items is not None:
        changes += _response_changes(f"{where}[]", old_items, new_items, old_resolve, new_resolve, depth + 1)
    return changes


def _enum(schema: Schema, resolve: _Resolver) -> set[Any] | None:
    values: set[Any] = set()
    for variant in _variants(schema, resolve):
        if "enum" in variant:
            values.update(variant["enum"])
        elif "const" in variant:
            values.add(variant["const"])
    return values or None


def _request_changes(
    where: str, old: Schema, new: Schema, old_resolve: _Resolver, new_resolve: _Resolver, depth: int = 0
) -> list[str]:
    """What a client sends: nothing newly required, no accepted value refused."""
    if depth > 20:
        return []
    changes = []
    old_enum, new_enum = _enum(old, old_resolve), _enum(new, new_resolve)
    if old_enum is not None and new_enum is not None and not old_enum <= new_enum:
        changes.append(f"{where}: enum no longer accepts {sorted(map(str, old_enum - new_enum))}")
    old_object, new_object = _object(old, old_resolve), _object(new, new_resolve)
    if old_object is not None and new_object is not None:
        newly_required = set(new_object.get("required", [])) - set(old_object.get("required", []))
        for name in sorted(newly_required):
            changes.append(f"{where}.{name}: request field is now required")
        for name, old_field in old_object["properties"].items():
            new_field = new_object["properties"].get(name)
            if new_field is not None:
                changes += _request_changes(
                    f"{where}.{name}", old_field, new_field, old_resolve, new_resolve, depth + 1
                )
    old_items, new_items = _items(old, old_resolve), _items(new, new_resolve)
    if old_items is not None and new_items is not None:
        changes += _request_changes(f"{where}[]", old_items, new_items, old_resolve, new_resolve, depth + 1)
    return changes


def _json_schema(container: Schema | None) -> Schema | None:
    content = (container or {}).get("content", {})
    for media_type, body in content.items():
        if "json" in media_type:
            return body.get("schema")  # type: ignore[no-any-return]
    return None


def _operation_changes(
    where: str, old: Schema, new: Schema, old_resolve: _Resolver, new_resolve: _Resolver
) -> list[str]:
    changes = []
    old_params = {(p.get("in"), p.get("name")): p for p in old.get("parameters", [])}
    for param in new.get("parameters", []):
        key = (param.get("in"), param.get("name"))
        before = old_params.get(key)
        label = f"{where} {param.get('in')} parameter '{param.get('name')}'"
        if param.get("required") and (before is None or not before.get("required")):
            changes.append(f"{label}: newly required")
        if before is not None:
            changes += _request_changes(
                label, before.get("schema", {}), param.get("schema", {}), old_resolve, new_resolve
            )
    old_body, new_body = _json_schema(old.get("requestBody")), _json_schema(new.get("requestBody"))
    if new_body is not None and old_body is None and new.get("requestBody", {}).get("required"):
        changes.append(f"{where}: request body is now required")
    if old_body is not None and new_body is not None:
        changes += _request_changes(f"{where} body", old_body, new_body, old_resolve, new_resolve)
    for status, old_response in old.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        new_response = new.get("responses", {}).get(status)
        if new_response is None:
            changes.append(f"{where}: response {status} removed")
            continue
        old_schema, new_schema = _json_schema(old_response), _json_schema(new_response)
        if old_schema is not None and new_schema is None:
            changes.append(f"{where}: response {status} body no longer declared")
        elif old_schema is not None and new_schema is not None:
            changes += _response_changes(f"{where} {status}", old_schema, new_schema, old_resolve, new_resolve)
    return changes


def breaking_changes(published: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    """Every way ``candidate`` would break a client of ``published``; empty when it only adds."""
    old_resolve, new_resolve = _Resolver(published), _Resolver(candidate)
    changes = []
    for path, old_item in published.get("paths", {}).items():
        new_item = candidate.get("paths", {}).get(path)
        if new_item is None:
            changes.append(f"{path}: path removed")
            continue
        for method in _METHODS:
            if method not in old_item:
                continue
            where = f"{method.upper()} {path}"
            if method not in new_item:
                changes.append(f"{where}: method removed")
                continue
            changes += _operation_changes(where, old_item[method], new_item[method], old_resolve, new_resolve)
    return changes
