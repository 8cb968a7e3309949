"""The staff settings in config.py: argon2 costs, session limits and the rate-limit store."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

import config as configuration
from config import ConfigError, ProductionConfig
from survey_app.crypto import generate_key_spec
from tests.helpers.notices import filled_notices


def production_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    return {
        "SURVEY_INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SURVEY_DATA_KEYS": generate_key_spec("k1"),
        "SURVEY_CODE_SECRET": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SURVEY_NOTICES_FILE": filled_notices(tmp_path),
        **changes,
    }


def test_defaults(tmp_path: Path) -> None:
    config = ProductionConfig(production_env(tmp_path))
    assert (config.SURVEY_ARGON2_TIME_COST, config.SURVEY_ARGON2_MEMORY_COST) == (3, 65536)
    assert config.SURVEY_STAFF_IDLE_MINUTES == 30
    assert config.SURVEY_STAFF_MAX_HOURS == 12
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/0"
    # Tests hash cheaply.
    test = configuration.TestConfig({"SURVEY_INSTANCE_DIR": str(tmp_path)})
    assert (test.SURVEY_ARGON2_TIME_COST, test.SURVEY_ARGON2_MEMORY_COST) == (1, 64)


def test_redis_url_shares_the_rate_limit_counters(tmp_path: Path) -> None:
    config = ProductionConfig(production_env(tmp_path, REDIS_URL="redis://cache:6379/2"))
    assert config.RATELIMIT_STORAGE_URI == "redis://cache:6379/2"


def test_settings_from_the_environment(tmp_path: Path) -> None:
    config = ProductionConfig(
        production_env(
            tmp_path,
            SURVEY_ARGON2_TIME_COST="4",
            SURVEY_ARGON2_MEMORY_COST="131072",
            SURVEY_STAFF_IDLE_MINUTES="15",
        )
    )
    assert (config.SURVEY_ARGON2_TIME_COST, config.SURVEY_ARGON2_MEMORY_COST) == (4, 131072)
    assert config.SURVEY_STAFF_IDLE_MINUTES == 15


@pytest.mark.parametrize(
    "changes",
    [{"SURVEY_ARGON2_TIME_COST": "1"}, {"SURVEY_ARGON2_MEMORY_COST": "64"}],
)
def test_production_refuses_cheap_password_hashing(tmp_path: Path, changes: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="SURVEY_ARGON2_"):
        ProductionConfig(production_env(tmp_path, **changes))


def test_a_setting_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SURVEY_STAFF_IDLE_MINUTES must be a whole number"):
        configuration.TestConfig(
            {"SURVEY_INSTANCE_DIR": str(tmp_path), "SURVEY_STAFF_IDLE_MINUTES": "half"}
        )
