"""The gateway publishes what it exposes: each API version's contract with the OAuth scheme and the scopes
each operation needs, the lifecycle of every version, and a docs page."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import msgspec

from gateway.routes import DEFAULT_POLICY_FILE, load_policy
from omnigate.contracts import build_contracts
from omnigate.runtime import EmbeddedProduct
from service_kit.settings import Settings
from tests.conftest import running_in_own_task
from tests.helpers import eventually
from tests.integration.oauth.conftest import asgi_client
from tests.integration.traffic.test_versions import cli

ROOT = Path(__file__).resolve().parents[3]


async def test_index_lists_every_routed_version_and_the_admin_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi")

    assert response.status_code == 200
    listed = {(v["api"], v["version"]): v for v in response.json()["versions"]}
    routed = {(route.api, f"v{major}") for route in load_policy(DEFAULT_POLICY_FILE).routes for major in route.versions}
    assert set(listed) == routed | {("admin", "v1")}
    assert {("erp", "v1"), ("storefront", "v1"), ("storefront", "v2"), ("wms", "v1"), ("tax", "v1")} <= routed
    assert listed["storefront", "v2"] == {
        "api": "storefront",
        "version": "v2",
        "status": "active",
        "contract": "/openapi/storefront.v2.json",
        "docs": "/docs?api=storefront&version=v2",
    }


async def test_contract_carries_oauth_scheme_and_per_operation_scopes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi/erp.v1.json")

    assert response.status_code == 200
    document = response.json()
    scheme = document["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == {"erp:read", "erp:write"}
    assert document["servers"] == [{"url": "http://gateway.test", "description": "Omnigate gateway"}]
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }
    assert operations, "the ERP contract lists its operations"
    assert all(path.startswith("/erp/v1/") for _, path in operations)
    for (method, _), operation in operations.items():
        expected = ["erp:read"] if method == "get" else ["erp:write"]
        assert operation["security"] == [{"oauth2": expected}]
        assert {"401", "403", "429", "503", "504"} <= set(operation["responses"])
        assert "RateLimit" in next(r for s, r in operation["responses"].items() if s.startswith("2"))["headers"]

    read_only = (await client.get("/openapi/storefront.v2.json")).json()
    offered = read_only["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    assert set(offered) == {"storefront:read"}, "a scope no operation needs is not offered"


async def test_served_contract_is_the_published_file_for_the_default_routes(client: httpx.AsyncClient) -> None:
    """``omnigate openapi export`` and the gateway decorate the same way, so clients can trust either."""
    for name in ("storefront.v1.json", "admin.v1.json", "wms.v1.json"):
        served = (await client.get(f"/openapi/{name}")).json()
        published = json.loads((ROOT / "openapi" / name).read_text(encoding="utf-8"))
        published["servers"] = served["servers"]
        served["info"].pop("x-lifecycle")
        assert served == published == {**build_contracts()[name], "servers": served["servers"]}


async def test_admin_contract_names_its_scopes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi/admin.v1.json")).json()

    scopes = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    assert set(scopes) == {"admin:clients", "admin:versions"}
    assert document["paths"]["/admin/v1/clients"]["post"]["security"] == [{"oauth2": ["admin:clients"]}]
    assert document["paths"]["/admin/v1/versions/usage"]["get"]["security"] == [{"oauth2": ["admin:versions"]}]


async def test_unknown_contract_is_a_problem_naming_what_exists(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi/ledger.v1.json")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "unknown_contract"
    assert "/openapi/storefront.v2.json" not in problem["contracts"]
    assert "storefront.v2.json" in problem["contracts"]


async def test_deprecation_shows_in_index_contract_and_docs(
    client: httpx.AsyncClient, product: EmbeddedProduct
) -> None:
    await cli(
        product.settings, "versions", "deprecate", "storefront", "v1", "--sunset", "2099-01-01", "--successor", "v2"
    )

    async def storefront_v1() -> dict[str, object]:
        listed = {(v["api"], v["version"]): v for v in (await client.get("/openapi")).json()["versions"]}
        return listed["storefront", "v1"]

    entry = await eventually(storefront_v1, lambda entry: entry["status"] == "deprecated")
    assert entry["successor"] == "v2"
    assert str(entry["sunset_at"]).startswith("2099-01-01")
    document = (await client.get("/openapi/storefront.v1.json")).json()
    assert document["info"]["x-lifecycle"]["status"] == "deprecated"
    assert all(op["deprecated"] is True for item in document["paths"].values() for op in item.values())
    page = await client.get("/docs", params={"api": "storefront", "version": "v1"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "storefront v1 is deprecated" in page.text
    assert 'spec-url="/openapi/storefront.v1.json"' in page.text


async def test_docs_page_defaults_to_the_newest_version_and_links_every_version(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs", params={"api": "storefront"})

    assert page.status_code == 200
    assert 'spec-url="/openapi/storefront.v2.json"' in page.text
    for href in (
        "/docs?api=erp&amp;version=v1",
        "/docs?api=storefront&amp;version=v1",
        "/docs?api=admin&amp;version=v1",
    ):
        assert href in page.text
    missing = await client.get("/docs", params={"api": "ledger"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown_contract"


async def test_a_version_dropped_from_the_route_table_is_no_longer_published(
    settings: Settings, tmp_path: Path
) -> None:
    """Only what the gateway routes is published, and a reloaded route table changes it without a restart."""
    path = tmp_path / "routes.toml"
    path.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    product = EmbeddedProduct(msgspec.structs.replace(settings, routes_file=path))
    async with running_in_own_task(product.running()), asgi_client(product.asgi["gateway"]) as client:
        assert (await client.get("/openapi/storefront.v1.json")).status_code == 200
        path.write_text(path.read_text(encoding="utf-8").replace("versions = [1, 2]", "versions = [2]"))

        async def status() -> int:
            return (await client.get("/openapi/storefront.v1.json")).status_code

        await eventually(status, lambda code: code == 404)
        listed = {(v["api"], v["version"]) for v in (await client.get("/openapi")).json()["versions"]}
        assert ("storefront", "v1") not in listed
        assert ("storefront", "v2") in listed
