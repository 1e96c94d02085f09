"""Architecture rules as tests: arrows point one way, services talk through APIs, services never commit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("system_apis", "process_apis", "experience_apis", "gateway")
# A layer may import only what is listed (besides stdlib and third-party libraries).
ALLOWED = {
    "canonical": set(),
    "service_kit": {"canonical"},
    "system_apis": {"canonical", "service_kit"},
    "process_apis": {"canonical", "service_kit"},
    "experience_apis": {"canonical", "service_kit"},
    "gateway": {"canonical", "service_kit"},
}
FIRST_PARTY = {*ALLOWED, "omnigate"}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def service_of(path: Path) -> tuple[str, str | None]:
    """(layer, service package) of a module, e.g. ('system_apis', 'erp')."""
    parts = path.relative_to(ROOT).parts
    layer = parts[0]
    service = parts[1] if layer in LAYERS[:3] and len(parts) > 2 else None
    return layer, service


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layers_import_only_downwards(package: str) -> None:
    violations = []
    for path in modules(package):
        layer, _service = service_of(path)
        for name in imports(path):
            top = name.split(".")[0]
            if top not in FIRST_PARTY or top == layer:
                continue
            if top not in ALLOWED[layer]:
                violations.append(f"{path.relative_to(ROOT)} imports {name}")
    assert violations == []


@pytest.mark.parametrize("layer", LAYERS[:3])
def test_services_reach_other_services_only_through_their_apis(layer: str) -> None:
    violations = []
    for path in modules(layer):
        _layer, service = service_of(path)
        for name in imports(path):
            parts = name.split(".")
            if parts[0] == layer and len(parts) > 1 and service is not None and parts[1] != service:
                violations.append(f"{path.relative_to(ROOT)} imports {name}")
    assert violations == []


@pytest.mark.parametrize("layer", LAYERS)
def test_business_code_never_commits(layer: str) -> None:
    """The request transaction (or a consumer's) commits; a commit inside a service breaks sagas."""
    violations = []
    for path in modules(layer):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "commit":
                violations.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert violations == []


def test_the_rules_see_a_violation() -> None:
    """Guard against a checker that passes vacuously."""
    sample = ROOT / "system_apis" / "erp" / "service.py"
    assert "canonical" in {name.split(".")[0] for name in imports(sample)}
    assert service_of(sample) == ("system_apis", "erp")
