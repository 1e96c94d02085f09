"""The published contracts: one OpenAPI document per API and major version, plus the canonical schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from canonical.schema import canonical_json_schema
from gateway.contracts.documents import contract_file_name, gateway_own_contract, public_contract
from gateway.routes import DEFAULT_POLICY_FILE, load_policy
from omnigate.catalog import GATEWAY, SERVICES
from omnigate.contract_diff import breaking_changes
from service_kit.app import ServiceRuntime
from service_kit.events.bus import InMemoryEventBus
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import Settings

__all__ = [
    "CANONICAL_SCHEMA_FILE",
    "BreakingChange",
    "breaking_contracts",
    "build_contracts",
    "export_contracts",
    "stale_contracts",
]

CANONICAL_SCHEMA_FILE = "canonical.schema.json"
PUBLIC_SERVER = "http://127.0.0.1:8000"


def build_contracts() -> dict[str, dict[str, Any]]:
    """File name → document, generated from the apps themselves (never written by hand), as the gateway with
    the default route table serves them."""
    runtime = ServiceRuntime(settings=Settings(), registry=ServiceRegistry(), bus=InMemoryEventBus())
    routes = {route.api: route for route in load_policy(DEFAULT_POLICY_FILE).routes}
    documents: dict[str, dict[str, Any]] = {}
    for service in SERVICES:
        if not service.apis:
            continue
        schema = service.create_app(runtime).openapi_schema.to_schema()
        for api in service.apis:
            document = json.loads(json.dumps(schema))
            document["paths"] = {
                path: item for path, item in schema.get("paths", {}).items() if path.startswith(api.prefix)
            }
            document["info"]["version"] = f"{api.major}"
            if service is GATEWAY:
                document = gateway_own_contract(document, server_url=PUBLIC_SERVER)
            elif (route := routes.get(api.name)) is not None and api.major in route.versions:
                document = public_contract(document, route, server_url=PUBLIC_SERVER)
            else:
                raise LookupError(f"{api.name} v{api.major} is published but {DEFAULT_POLICY_FILE} does not route it")
            documents[contract_file_name(api.name, api.major)] = document
    documents[CANONICAL_SCHEMA_FILE] = canonical_json_schema()
    return documents


class BreakingChange(Exception):
    """The code breaks a published API version: publish the change as a new major version instead."""

    def __init__(self, changes: dict[str, list[str]]) -> None:
        self.changes = changes
        lines = [f"{name}: {change}" for name, found in changes.items() for change in found]
        super().__init__("breaking changes to published contracts:\n  " + "\n  ".join(lines))


def _render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def breaking_contracts(out_dir: Path) -> dict[str, list[str]]:
    """For each published API version, what the code would break for its clients (see ``contract_diff``)."""
    found = {}
    for name, document in build_contracts().items():
        path = out_dir / name
        if name == CANONICAL_SCHEMA_FILE or not path.exists():
            continue
        if changes := breaking_changes(json.loads(path.read_text(encoding="utf-8")), document):
            found[name] = changes
    return found


def export_contracts(out_dir: Path) -> list[Path]:
    """Write every contract; refuses (writing nothing) when a published version would break."""
    if breaking := breaking_contracts(out_dir):
        raise BreakingChange(breaking)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in build_contracts().items():
        path = out_dir / name
        path.write_text(_render(document), encoding="utf-8")
        written.append(path)
    return written


def stale_contracts(out_dir: Path) -> list[str]:
    """Contracts whose committed file differs from what the code generates (or is missing)."""
    stale = []
    for name, document in build_contracts().items():
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != _render(document):
            stale.append(name)
    return stale
