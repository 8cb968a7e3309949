# ruff: noqa: SIM300  (settings are UPPER_CASE attributes, not constants)
"""Configuration (config.py): one class per environment, picked by SURVEY_ENV; production
refuses to start without real secrets."""

from __future__ import annotations

import base64
import json
import secrets
import stat
from pathlib import Path

import pytest

import config as configuration
from config import Config, ConfigError, DevelopmentConfig, ProductionConfig, load_config
from survey_app import create_app
from survey_app.crypto import generate_key_spec
from survey_app.extensions import get_db
from tests.helpers.notices import filled_notices


def good_secret(size: int = 32) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode("ascii")


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env: dict[str, str | None] = {
        "SURVEY_ENV": "production",
        "SURVEY_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'production.db'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SURVEY_DATA_KEYS": generate_key_spec("k1"),
        "SURVEY_CODE_SECRET": good_secret(),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SURVEY_NOTICES_FILE": filled_notices(tmp_path),
    }
    env.update(changes)
    return {name: value for name, value in env.items() if value is not None}


# --- choosing the class -------------------------------------------------------------------------


def test_survey_env_picks_the_class(tmp_path: Path) -> None:
    instance = {"SURVEY_INSTANCE_DIR": str(tmp_path)}
    assert type(load_config({**instance, "SURVEY_ENV": "test"})) is configuration.TestConfig
    assert type(load_config({**instance, "SURVEY_ENV": " Test "})) is configuration.TestConfig
    assert type(load_config({**instance, "SURVEY_ENV": "development"})) is DevelopmentConfig
    assert type(load_config(production_env(tmp_path))) is ProductionConfig


def test_development_is_the_default(tmp_path: Path) -> None:
    config = load_config({"SURVEY_INSTANCE_DIR": str(tmp_path)})
    assert type(config) is DevelopmentConfig
    assert config.ENV_NAME == "development"
    assert config.DEBUG is False and config.TESTING is False


@pytest.mark.parametrize("name", ["staging", "prod", "", "testing"])
def test_an_unknown_environment_is_refused_naming_the_choices(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({"SURVEY_ENV": name, "SURVEY_INSTANCE_DIR": str(tmp_path)})
    message = str(caught.value)
    assert repr(name) in message
    assert "development, production, test" in message


def test_the_test_class_is_cheap_and_self_contained(tmp_path: Path) -> None:
    config = load_config({"SURVEY_ENV": "test", "SURVEY_INSTANCE_DIR": str(tmp_path)})
    assert config.TESTING is True
    assert config.SURVEY_SCRYPT_LOG2_N == 12
    assert config.SECRET_KEY and config.SURVEY_DATA_KEYS and config.SURVEY_CODE_SECRET
    # Nothing is written: the test secrets live in memory only.
    assert list(tmp_path.iterdir()) == []
    other = load_config({"SURVEY_ENV": "test", "SURVEY_INSTANCE_DIR": str(tmp_path)})
    assert other.SECRET_KEY != config.SECRET_KEY


# --- production ---------------------------------------------------------------------------------


def test_production_with_good_values(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    config = load_config(env)
    assert isinstance(config, ProductionConfig)
    assert config.SESSION_COOKIE_SECURE is True
    # Pages send no Referer (Referrer-Policy: no-referrer), which the SSL-strict check demands.
    assert config.WTF_CSRF_SSL_STRICT is False
    assert config.SURVEY_SCRYPT_LOG2_N == 17
    assert config.SECRET_KEY == env["SECRET_KEY"]
    assert config.SURVEY_DATA_KEYS == env["SURVEY_DATA_KEYS"]
    assert config.SURVEY_CODE_SECRET == env["SURVEY_CODE_SECRET"]
    assert config.SURVEY_DATABASE_URL == env["DATABASE_URL"]
    assert config.as_mapping()["SESSION_COOKIE_SECURE"] is True
    # Production never invents or stores secrets of its own.
    assert not (tmp_path / "instance" / "dev-secrets.json").exists()


@pytest.mark.parametrize("name", ["SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET"])
def test_production_refuses_a_missing_secret(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be set to a real secret in production"):
        load_config(production_env(tmp_path, **{name: None}))


@pytest.mark.parametrize("name", ["SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET"])
@pytest.mark.parametrize("value", ["change-me", " Change-Me ", "", "secret", "dev"])
def test_production_refuses_a_placeholder_secret(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be set to a real secret"):
        load_config(production_env(tmp_path, **{name: value}))


def test_production_refuses_to_run_without_redis(tmp_path: Path) -> None:
    """Several processes must share rate limits and unlocked review keys."""
    with pytest.raises(ConfigError, match="REDIS_URL must be set in production"):
        load_config(production_env(tmp_path, REDIS_URL=None))


@pytest.mark.parametrize("hours", ["0", "25"])
def test_the_review_unlock_lasts_between_one_and_24_hours(tmp_path: Path, hours: str) -> None:
    with pytest.raises(ConfigError, match="SURVEY_REVIEW_UNLOCK_HOURS"):
        load_config(production_env(tmp_path, SURVEY_REVIEW_UNLOCK_HOURS=hours))
    assert load_config(production_env(tmp_path)).SURVEY_REVIEW_UNLOCK_HOURS == 8


@pytest.mark.parametrize("seconds", ["-1", "61", "2.5"])
def test_the_link_hold_is_whole_seconds_up_to_a_minute(tmp_path: Path, seconds: str) -> None:
    with pytest.raises(ConfigError, match="SURVEY_LINK_CACHE_SECONDS"):
        load_config(production_env(tmp_path, SURVEY_LINK_CACHE_SECONDS=seconds))
    assert load_config(production_env(tmp_path)).SURVEY_LINK_CACHE_SECONDS == 2
    held = load_config(production_env(tmp_path, SURVEY_LINK_CACHE_SECONDS="0"))
    assert held.SURVEY_LINK_CACHE_SECONDS == 0


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32 characters"):
        load_config(production_env(tmp_path, SECRET_KEY="k" * 31))
    assert load_config(production_env(tmp_path, SECRET_KEY="k" * 32)).SECRET_KEY == "k" * 32


@pytest.mark.parametrize(
    "value",
    [good_secret(16), good_secret(31), "not base64 at all!"],
    ids=["16-bytes", "31-bytes", "not-base64"],
)
def test_production_refuses_a_short_code_secret(tmp_path: Path, value: str) -> None:
    with pytest.raises(
        ConfigError, match="SURVEY_CODE_SECRET must encode at least 32 random bytes"
    ):
        load_config(production_env(tmp_path, SURVEY_CODE_SECRET=value))


@pytest.mark.parametrize("cost", ["12", "16", "21"])
def test_production_refuses_a_scrypt_cost_out_of_range(tmp_path: Path, cost: str) -> None:
    with pytest.raises(ConfigError, match="SURVEY_SCRYPT_LOG2_N must be between 17 and 20"):
        load_config(production_env(tmp_path, SURVEY_SCRYPT_LOG2_N=cost))
    assert (
        load_config(production_env(tmp_path, SURVEY_SCRYPT_LOG2_N="18")).SURVEY_SCRYPT_LOG2_N == 18
    )


@pytest.mark.parametrize(
    "value",
    ["k1:too-short", "just some text", "k1:" + good_secret(16)],
    ids=["short-key", "no-key-id", "16-byte-key"],
)
def test_production_refuses_a_malformed_data_keyring(tmp_path: Path, value: str) -> None:
    """A keyring that cannot be parsed is as useless as a missing one: fail at configuration,
    with a ConfigError that ``wsgi.build`` reports in one line, not later with a traceback."""
    with pytest.raises(ConfigError, match="SURVEY_DATA_KEYS"):
        load_config(production_env(tmp_path, SURVEY_DATA_KEYS=value))


def test_create_app_starts_with_a_good_production_configuration(tmp_path: Path) -> None:
    app = create_app(load_config(production_env(tmp_path)))
    try:
        assert app.config["SURVEY_ENV"] == "production"
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["TESTING"] is False and app.debug is False
        with app.app_context():
            assert get_db().url == f"sqlite:///{tmp_path / 'instance' / 'production.db'}"
        response = app.test_client().get("/no-such-page")
        assert response.status_code == 404
    finally:
        with app.app_context():
            get_db().dispose()


# --- development --------------------------------------------------------------------------------


def test_development_generates_secrets_once_and_reuses_them(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {"SURVEY_ENV": "development", "SURVEY_INSTANCE_DIR": str(instance)}

    first = load_config(env)

    path = instance / "dev-secrets.json"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert set(stored) == {"SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET"}
    assert first.SECRET_KEY == stored["SECRET_KEY"]
    assert first.SURVEY_DATA_KEYS == stored["SURVEY_DATA_KEYS"]
    assert first.SURVEY_CODE_SECRET == stored["SURVEY_CODE_SECRET"]
    assert len(first.SECRET_KEY or "") >= 32

    second = load_config(env)
    assert (second.SECRET_KEY, second.SURVEY_DATA_KEYS, second.SURVEY_CODE_SECRET) == (
        first.SECRET_KEY,
        first.SURVEY_DATA_KEYS,
        first.SURVEY_CODE_SECRET,
    )
    assert json.loads(path.read_text(encoding="utf-8")) == stored


def test_development_prefers_secrets_from_the_environment(tmp_path: Path) -> None:
    env = {
        "SURVEY_INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": "from-the-environment-" + "x" * 20,
    }
    config = load_config(env)
    assert config.SECRET_KEY == env["SECRET_KEY"]
    stored = json.loads((tmp_path / "instance" / "dev-secrets.json").read_text(encoding="utf-8"))
    assert config.SURVEY_CODE_SECRET == stored["SURVEY_CODE_SECRET"]

    everything = {
        **env,
        "SURVEY_DATA_KEYS": generate_key_spec(),
        "SURVEY_CODE_SECRET": good_secret(),
        "SURVEY_INSTANCE_DIR": str(tmp_path / "elsewhere"),
    }
    load_config(everything)
    assert not (tmp_path / "elsewhere").exists()


def test_a_development_app_starts_with_generated_secrets(tmp_path: Path) -> None:
    app = create_app(load_config({"SURVEY_INSTANCE_DIR": str(tmp_path / "instance")}))
    try:
        assert app.config["SURVEY_ENV"] == "development"
        assert app.config["SESSION_COOKIE_SECURE"] is False
    finally:
        with app.app_context():
            get_db().dispose()


# --- individual settings ------------------------------------------------------------------------


def test_database_url_overrides_the_instance_database(tmp_path: Path) -> None:
    base = {"SURVEY_ENV": "test", "SURVEY_INSTANCE_DIR": str(tmp_path / "instance")}
    assert (
        load_config(base).SURVEY_DATABASE_URL == f"sqlite:///{tmp_path / 'instance' / 'candour.db'}"
    )
    url = "postgresql+psycopg://candour@db.internal:5432/candour"
    assert load_config({**base, "DATABASE_URL": url}).SURVEY_DATABASE_URL == url


def test_max_body_kb_sets_the_request_limits(tmp_path: Path) -> None:
    base = {"SURVEY_ENV": "test", "SURVEY_INSTANCE_DIR": str(tmp_path)}
    default = load_config(base)
    assert default.MAX_CONTENT_LENGTH == 256 * 1024
    config = load_config({**base, "SURVEY_MAX_BODY_KB": "64"})
    assert config.MAX_CONTENT_LENGTH == 64 * 1024
    assert config.MAX_FORM_MEMORY_SIZE == 64 * 1024
    assert config.as_mapping()["MAX_CONTENT_LENGTH"] == 65536


@pytest.mark.parametrize("name", ["SURVEY_MAX_BODY_KB", "SURVEY_SCRYPT_LOG2_N"])
@pytest.mark.parametrize("value", ["lots", "1.5", "", "64kb"])
def test_a_setting_that_is_not_a_whole_number_is_refused(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a whole number"):
        load_config({"SURVEY_ENV": "test", "SURVEY_INSTANCE_DIR": str(tmp_path), name: value})


def test_other_settings_from_the_environment(tmp_path: Path) -> None:
    config = load_config(
        {
            "SURVEY_ENV": "test",
            "SURVEY_INSTANCE_DIR": str(tmp_path),
            "SURVEY_QUESTIONNAIRE_DIR": str(tmp_path / "q"),
            "SURVEY_EXIT_URL": "https://example.org/",
            "SURVEY_SCRYPT_LOG2_N": "14",
        }
    )
    assert config.SURVEY_QUESTIONNAIRE_DIR == str(tmp_path / "q")
    assert config.SURVEY_EXIT_URL == "https://example.org/"
    assert config.SURVEY_SCRYPT_LOG2_N == 14
    assert config.SURVEY_INSTANCE_DIR == str(tmp_path)


def test_support_signposting_comes_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "support.yaml"
    path.write_text(
        "- name: Essex EAP\n  detail: Call 0800 000 0000, free and confidential.\n",
        encoding="utf-8",
    )
    config = Config({"SURVEY_SUPPORT_FILE": str(path)})
    assert config.SURVEY_SUPPORT == (
        {"name": "Essex EAP", "detail": "Call 0800 000 0000, free and confidential."},
    )
    assert len(Config({}).SURVEY_SUPPORT) == 3  # the defaults


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: not a list\n", "must be a list"),
        ("- name: EAP\n", "entry 1 must have exactly 'name' and 'detail'"),
        ("- name: EAP\n  detail: ''\n", "entry 1 has an empty field"),
        ("- [unclosed\n", "cannot be read"),
    ],
)
def test_a_bad_support_file_is_refused_with_file_and_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "support.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=reason) as caught:
        Config({"SURVEY_SUPPORT_FILE": str(path)})
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("runtime", ["gpu", "INT8 please", ""])
def test_an_unknown_embedding_runtime_is_refused(tmp_path: Path, runtime: str) -> None:
    with pytest.raises(ConfigError, match="SURVEY_EMBEDDING_RUNTIME must be auto, int8"):
        Config({"SURVEY_INSTANCE_DIR": str(tmp_path), "SURVEY_EMBEDDING_RUNTIME": runtime})


def test_the_embedding_runtime_setting_reaches_the_semantic_module(tmp_path: Path) -> None:
    from analysis.themes import semantic
    from survey_app.services.themes import theme_options

    assert Config({"SURVEY_INSTANCE_DIR": str(tmp_path)}).SURVEY_EMBEDDING_RUNTIME == "auto"
    chosen = Config({"SURVEY_INSTANCE_DIR": str(tmp_path), "SURVEY_EMBEDDING_RUNTIME": "onnx"})
    try:
        theme_options({"SURVEY_EMBEDDING_RUNTIME": chosen.SURVEY_EMBEDDING_RUNTIME})
        assert semantic._preferred == "onnx"
        if "onnx" in semantic.installed_runtimes():
            assert semantic.active_runtime() == "onnx"
    finally:
        theme_options({})
    assert semantic._preferred == "auto"
