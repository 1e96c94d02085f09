from __future__ import annotations

from pathlib import Path

import pytest

from service_kit.settings import ConfigurationError, Settings


def test_reads_omnigate_variables_and_per_service_families() -> None:
    settings = Settings.from_env(
        {
            "OMNIGATE_PORT": "9000",
            "OMNIGATE_DATA_DIR": "/tmp/og",
            "OMNIGATE_ERP_DATABASE_URL": "postgresql+asyncpg://db/erp",
            "OMNIGATE_INVENTORY_URL": "http://10.0.0.5:8201",
            "OMNIGATE_HTTP_READ_TIMEOUT": "3.5",
            "OMNIGATE_REDIS_URL": "redis://r:6379/0",
            "UNRELATED": "x",
        }
    )

    assert settings.port == 9000
    assert settings.http.read_timeout == 3.5
    assert settings.bus == "redis", "a Redis URL switches the bus to Redis"
    assert settings.database_url_for("erp") == "postgresql+asyncpg://db/erp"
    assert settings.database_url_for("wms") == f"sqlite+aiosqlite:///{Path('/tmp/og/wms.db')}"
    assert settings.service_url_for("inventory") == "http://10.0.0.5:8201"
    assert settings.service_url_for("erp") is None


def test_invalid_value_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="OMNIGATE_PORT"):
        Settings.from_env({"OMNIGATE_PORT": "not-a-port"})
    with pytest.raises(ConfigurationError, match="OMNIGATE_HTTP_CONNECT_TIMEOUT"):
        Settings.from_env({"OMNIGATE_HTTP_CONNECT_TIMEOUT": "-1"})
