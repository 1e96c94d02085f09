"""``omnigate serve gateway --workers N`` runs N gateway processes on one port, which enforce one set of limits
only through Redis: without it the command refuses to start rather than multiply every limit by N."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from omnigate.cli import main


def test_several_gateway_workers_without_redis_are_refused(tmp_path: Path) -> None:
    env = {"OMNIGATE_DATA_DIR": str(tmp_path), "OMNIGATE_REDIS_URL": ""}
    result = CliRunner().invoke(main, ["serve", "gateway", "--port", "1", "--workers", "2"], env=env)

    assert result.exit_code != 0
    assert "several gateway processes enforce one set of limits only through Redis" in result.output
