from __future__ import annotations

from pathlib import Path

import pytest

from service_kit.http.system_calls import RetryPolicy
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


def test_saga_retries_ride_out_a_half_hour_outage_by_default_and_are_configurable() -> None:
    """An ERP down for a while must not strand orders on the worklist: with the default policy the saga keeps
    trying, on average, for longer than half an hour (full jitter averages half of each capped delay)."""
    default = RetryPolicy.from_settings(Settings())
    expected_wait = sum(min(default.max_delay, default.base_delay * 2 ** (n - 1)) / 2 for n in range(1, 20))
    assert expected_wait > 25 * 60

    tuned = RetryPolicy.from_settings(
        Settings.from_env({"OMNIGATE_SAGA_MAX_ATTEMPTS": "4", "OMNIGATE_SAGA_MAX_RETRY_DELAY": "10"})
    )
    assert (tuned.max_attempts, tuned.max_delay) == (4, 10.0)
    assert all(0 <= tuned.delay(attempt) <= 10.0 for attempt in range(1, 10))
