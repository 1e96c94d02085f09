"""Every published contract, fuzzed through a running gateway with a real token by schemathesis: no 5xx, and
every answer (status, content type, headers, body) is one the contract documents.

The product runs as ``omnigate up`` does for a user (its own process, embedded backends); each contract gets
its own client, so a stateful run of the admin API that deletes clients cannot take the others' token away.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.oauth.scopes import SCOPES
from tests.e2e.test_distributed import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONTRACTS = sorted(path.name for path in (ROOT / "openapi").glob("*.v*.json"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
MAX_EXAMPLES = os.environ.get("OMNIGATE_FUZZ_EXAMPLES", "25")
SEED = os.environ.get("OMNIGATE_FUZZ_SEED", "20261123")


class Gateway:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env

    def token(self, name: str) -> str:
        """A token for a new client holding every scope, on the plan meant for internal callers."""
        created = subprocess.run(
            [str(BIN / "omnigate"), "clients", "create", "--name", name, "--tenant", "demo", "--plan", "internal",
             "--scopes", " ".join(SCOPES)],
            env=self.env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        client = json.loads(created.stdout)
        response = httpx.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    env = {**os.environ, "OMNIGATE_DATA_DIR": str(data), "OMNIGATE_PORT": str(port), "OMNIGATE_LOG_LEVEL": "WARNING"}
    env.pop("OMNIGATE_DATABASE_URL", None)
    log = (data / "omnigate.log").open("wb")
    process = subprocess.Popen([str(BIN / "omnigate"), "up"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"omnigate up did not become ready:\n{(data / 'omnigate.log').read_text()}")
            time.sleep(0.2)
        yield Gateway(url, env)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_every_published_api_version_is_fuzzed() -> None:
    """The list below is the directory listing: a new contract is fuzzed without anyone adding it here."""
    assert {"admin.v1.json", "erp.v1.json", "storefront.v1.json", "storefront.v2.json"} <= set(CONTRACTS)


@pytest.mark.timeout(900)  # schemathesis runs up to 600 s (its own timeout below); slow when the machine is busy
@pytest.mark.parametrize("contract", CONTRACTS)
def test_contract_holds_under_fuzzing(gateway: Gateway, contract: str, tmp_path: Path) -> None:
    token = gateway.token(f"fuzz {contract}")
    run = subprocess.run(
        [str(BIN / "st"), "run", f"{gateway.url}/openapi/{contract}",
         "--header", f"Authorization: Bearer {token}",
         "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--seed", SEED,
         "--request-timeout", "10", "--output-truncate", "false"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert run.returncode == 0, f"schemathesis found problems in {contract}:\n{run.stdout}\n{run.stderr}"
    assert "generated" in run.stdout  # it really ran cases, not just loaded the schema
