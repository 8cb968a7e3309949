"""Configuration: the only module that reads environment variables.

One variable, ``SURVEY_ENV``, picks the class: ``development`` (the default, used by
``make run``), ``test`` or ``production``. Every setting can be overridden from the
environment; production refuses to start with a missing or development secret.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent
DEFAULT_INSTANCE = ROOT / "instance"

# Values that must never reach production. Development secrets are generated per checkout,
# but a copied example value is just as dangerous, so it is refused too.
INSECURE_VALUES = frozenset({"", "change-me", "dev", "development", "secret", "test"})


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


class Config:
    """Settings shared by every environment. Subclasses change defaults only."""

    ENV_NAME: ClassVar[str] = "base"

    DEBUG = False
    TESTING = False
    # Respondent pages must never carry more than this; larger bodies get a 413 page.
    MAX_CONTENT_LENGTH = 256 * 1024
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    MAX_FORM_PARTS = 500
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "candour_session"
    # CSRF tokens last as long as a slow, careful respondent might need on one page.
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    WTF_CSRF_SSL_STRICT = False
    TEMPLATES_AUTO_RELOAD = False

    SURVEY_QUESTIONNAIRE_DIR = str(ROOT / "questionnaires")
    SURVEY_MIGRATIONS_DIR = str(ROOT / "migrations")
    # scrypt cost for passphrase-wrapped key slots, as log2(n). Never below 17 outside tests.
    SURVEY_SCRYPT_LOG2_N = 17
    SURVEY_DEFAULT_MIN_GROUP = 10
    # Where "Exit this page" sends a respondent: a neutral, everyday page.
    SURVEY_EXIT_URL = "https://www.bbc.co.uk/weather"
    # Unanswered drafts are kept only in an encrypted browser cookie, for at most this long.
    SURVEY_DRAFT_MAX_AGE_DAYS = 2
    # An open survey remembers, in one encrypted cookie that names no survey, that this browser
    # has answered -- for at most this many days (best effort against answering twice).
    SURVEY_ANSWERED_MARKER_DAYS = 30
    # Open surveys accept at most this many responses in any one minute unless a survey sets
    # its own ceiling; counted per survey (never per sender) in Redis or this process's memory.
    SURVEY_OPEN_RESPONSES_PER_MINUTE = 60
    # The time zone staff see and type session times in (times are stored in UTC).
    SURVEY_TIMEZONE = "Europe/London"
    # Staff sign-in: argon2id cost (argon2-cffi's defaults), session limits and login limits.
    SURVEY_ARGON2_TIME_COST = 3
    SURVEY_ARGON2_MEMORY_COST = 65536  # KiB
    SURVEY_STAFF_IDLE_MINUTES = 30
    SURVEY_STAFF_MAX_HOURS = 12
    # Sign-in attempts per account (by the email typed, or by a known device of that account;
    # also the limit on two-factor codes) and per client address (keyed on an HMAC of it).
    SURVEY_LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"
    SURVEY_LOGIN_LIMIT_PER_ADDRESS = "10 per minute;50 per hour"
    # A browser that signed in to an account is its "known device" for this many days after.
    SURVEY_KNOWN_DEVICE_DAYS = 90
    # Reverse proxies in front of the app that each add the client's address to
    # X-Forwarded-For (read only to key staff sign-in limits; production: 1, its TLS proxy).
    SURVEY_PROXY_COUNT = 0
    # Themes of free text: "auto" (semantic when installed, else lexical), "lexical", "semantic".
    SURVEY_THEME_ENGINE = "auto"
    # Which sentence-embedding runtime the semantic engine uses: "auto" (the 8-bit ONNX graph
    # when installed, else the float one, else torch), "int8", "onnx" (float) or "torch".
    SURVEY_EMBEDDING_RUNTIME = "auto"
    # Optional YAML file of words redaction always replaces: names, places and teams lists.
    SURVEY_REDACTION_FILE: str | None = None
    # How long a key holder's unlocking of a draft's theme review lasts.
    SURVEY_REVIEW_UNLOCK_HOURS = 8
    # Where respondents are pointed for support after answering: the council's EAP, a staff
    # network, a helpline. SURVEY_SUPPORT_FILE names a YAML list of {name, detail} to use
    # instead (see README, "Configuration").
    SURVEY_SUPPORT: tuple[dict[str, str], ...] = (
        {
            "name": "Your employee assistance programme",
            "detail": "Free, confidential support through your council; your HR pages list it.",
        },
        {
            "name": "Your Global Majority staff network",
            "detail": "Colleagues who will understand. Your intranet lists how to reach them.",
        },
        {"name": "Samaritans", "detail": "Call 116 123, free, any time of day or night."},
    )
    # Flask-Limiter: only staff pages are limited; respondent pages never reach the limiter.
    RATELIMIT_HEADERS_ENABLED = False
    # With Redis unreachable, staff sign-in limits count in each process's memory until it is
    # back, rather than every staff page failing.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Key holder jobs (analyse, publish, unlock a review): "queue" runs them in `flask jobs
    # worker` processes through Redis (the default when REDIS_URL is set), "process" in a child
    # of the web server process (the default without Redis: `make run`).
    SURVEY_JOBS = "process"
    # How long a web request waits for a job worker to take a job (at most 25: it may wait
    # twice as long in all, and gunicorn stops a request after 60 seconds).
    SURVEY_JOB_START_SECONDS = 25
    # A running job says it is alive this often (in Redis); a job silent for longer than this
    # is shown as stopped, so that it can be started again.
    SURVEY_JOB_HEARTBEAT_SECONDS = 30
    # Each server process reads the survey behind a respondent's link at most this often: a
    # survey closed elsewhere shows as closed on its pages within this time (sending checks
    # the survey itself, always). 0 reads it for every page.
    SURVEY_LINK_CACHE_SECONDS = 2

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        instance = Path(env.get("SURVEY_INSTANCE_DIR", str(DEFAULT_INSTANCE)))
        self.SURVEY_INSTANCE_DIR = str(instance)
        self.SURVEY_DATABASE_URL = env.get("DATABASE_URL", f"sqlite:///{instance / 'candour.db'}")
        self.SECRET_KEY: str | None = env.get("SECRET_KEY")
        self.SURVEY_DATA_KEYS: str | None = env.get("SURVEY_DATA_KEYS")
        self.SURVEY_CODE_SECRET: str | None = env.get("SURVEY_CODE_SECRET")
        self.REDIS_URL: str | None = env.get("REDIS_URL")
        if "SURVEY_QUESTIONNAIRE_DIR" in env:
            self.SURVEY_QUESTIONNAIRE_DIR = env["SURVEY_QUESTIONNAIRE_DIR"]
        if "SURVEY_SCRYPT_LOG2_N" in env:
            self.SURVEY_SCRYPT_LOG2_N = _int(env, "SURVEY_SCRYPT_LOG2_N")
        if "SURVEY_MAX_BODY_KB" in env:
            self.MAX_CONTENT_LENGTH = _int(env, "SURVEY_MAX_BODY_KB") * 1024
            self.MAX_FORM_MEMORY_SIZE = self.MAX_CONTENT_LENGTH
        if "SURVEY_EXIT_URL" in env:
            self.SURVEY_EXIT_URL = env["SURVEY_EXIT_URL"]
        # Shared counters for several workers in production; one process's memory otherwise.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        for name in ("SURVEY_ARGON2_TIME_COST", "SURVEY_ARGON2_MEMORY_COST"):
            if name in env:
                setattr(self, name, _int(env, name))
        for name in ("SURVEY_LOGIN_LIMIT_PER_ACCOUNT", "SURVEY_LOGIN_LIMIT_PER_ADDRESS"):
            if name in env:
                setattr(self, name, _rate_limit(env, name))
        if "SURVEY_PROXY_COUNT" in env:
            self.SURVEY_PROXY_COUNT = _int(env, "SURVEY_PROXY_COUNT")
        if not 0 <= self.SURVEY_PROXY_COUNT <= 5:
            raise ConfigError("SURVEY_PROXY_COUNT must be between 0 and 5")
        if "SURVEY_KNOWN_DEVICE_DAYS" in env:
            self.SURVEY_KNOWN_DEVICE_DAYS = _int(env, "SURVEY_KNOWN_DEVICE_DAYS")
        if not 1 <= self.SURVEY_KNOWN_DEVICE_DAYS <= 400:
            raise ConfigError("SURVEY_KNOWN_DEVICE_DAYS must be between 1 and 400")
        if "SURVEY_OPEN_RESPONSES_PER_MINUTE" in env:
            self.SURVEY_OPEN_RESPONSES_PER_MINUTE = _int(env, "SURVEY_OPEN_RESPONSES_PER_MINUTE")
        if not 1 <= self.SURVEY_OPEN_RESPONSES_PER_MINUTE <= 10_000:
            raise ConfigError("SURVEY_OPEN_RESPONSES_PER_MINUTE must be between 1 and 10000")
        self.SURVEY_TIMEZONE = env.get("SURVEY_TIMEZONE", self.SURVEY_TIMEZONE)
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.SURVEY_TIMEZONE)
        except (ValueError, KeyError, OSError):
            raise ConfigError(
                f"SURVEY_TIMEZONE {self.SURVEY_TIMEZONE!r} is not a time zone"
            ) from None
        if "SURVEY_STAFF_IDLE_MINUTES" in env:
            self.SURVEY_STAFF_IDLE_MINUTES = _int(env, "SURVEY_STAFF_IDLE_MINUTES")
        if "SURVEY_STAFF_MAX_HOURS" in env:
            self.SURVEY_STAFF_MAX_HOURS = _int(env, "SURVEY_STAFF_MAX_HOURS")
        if "SURVEY_THEME_ENGINE" in env:
            self.SURVEY_THEME_ENGINE = env["SURVEY_THEME_ENGINE"]
        if self.SURVEY_THEME_ENGINE not in ("auto", "lexical", "semantic"):
            raise ConfigError("SURVEY_THEME_ENGINE must be auto, lexical or semantic")
        self.SURVEY_EMBEDDING_RUNTIME = env.get(
            "SURVEY_EMBEDDING_RUNTIME", self.SURVEY_EMBEDDING_RUNTIME
        ).strip()
        if self.SURVEY_EMBEDDING_RUNTIME not in ("auto", "int8", "onnx", "torch"):
            raise ConfigError("SURVEY_EMBEDDING_RUNTIME must be auto, int8, onnx or torch")
        self.SURVEY_REDACTION_FILE = env.get("SURVEY_REDACTION_FILE") or None
        if env.get("SURVEY_SUPPORT_FILE"):
            self.SURVEY_SUPPORT = read_support_file(env["SURVEY_SUPPORT_FILE"])
        # The privacy notice and accessibility statement (see survey_app/notices/template.yaml).
        self.SURVEY_NOTICES_FILE: str | None = env.get("SURVEY_NOTICES_FILE") or None
        self.SURVEY_NOTICES = read_notices_file(self.SURVEY_NOTICES_FILE)
        if "SURVEY_REVIEW_UNLOCK_HOURS" in env:
            self.SURVEY_REVIEW_UNLOCK_HOURS = _int(env, "SURVEY_REVIEW_UNLOCK_HOURS")
        if not 1 <= self.SURVEY_REVIEW_UNLOCK_HOURS <= 24:
            raise ConfigError("SURVEY_REVIEW_UNLOCK_HOURS must be between 1 and 24")
        self.SURVEY_JOBS = env.get("SURVEY_JOBS") or self._default_jobs()
        if self.SURVEY_JOBS not in ("queue", "process"):
            raise ConfigError("SURVEY_JOBS must be queue or process")
        if self.SURVEY_JOBS == "queue" and not self.REDIS_URL:
            raise ConfigError("SURVEY_JOBS=queue needs REDIS_URL")
        for name, low, high in (
            ("SURVEY_JOB_START_SECONDS", 1, 25),
            ("SURVEY_JOB_HEARTBEAT_SECONDS", 2, 300),
            ("SURVEY_LINK_CACHE_SECONDS", 0, 60),
        ):
            if name in env:
                setattr(self, name, _int(env, name))
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"{name} must be between {low} and {high}")

    def _default_jobs(self) -> str:
        return "queue" if self.REDIS_URL else "process"

    def as_mapping(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in dir(self) if name.isupper()}


class DevelopmentConfig(Config):
    """``make run`` on a laptop: secrets are generated once and kept under ``instance/``."""

    ENV_NAME = "development"
    TEMPLATES_AUTO_RELOAD = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        missing = [
            name
            for name in ("SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET")
            if not getattr(self, name)
        ]
        if missing:
            generated = _development_secrets(Path(self.SURVEY_INSTANCE_DIR))
            for name in missing:
                setattr(self, name, generated[name])


class TestConfig(Config):
    """The test suite: cheap key wrapping, in-memory secrets, no real cookies over TLS."""

    ENV_NAME = "test"
    TESTING = True
    SURVEY_SCRYPT_LOG2_N = 12
    SURVEY_ARGON2_TIME_COST = 1
    SURVEY_ARGON2_MEMORY_COST = 64
    # Every page reads its survey, so a test may close one and look straight away; the tests
    # of SurveyLinks hold surveys for longer.
    SURVEY_LINK_CACHE_SECONDS = 0
    SURVEY_THEME_ENGINE = (
        "lexical"  # fast and the same on every machine; semantic has its own tests
    )

    def _default_jobs(self) -> str:
        # A test that names Redis for its limits need not start a job worker: the tests of the
        # job queue ask for it with SURVEY_JOBS=queue.
        return "process"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self.SECRET_KEY = self.SECRET_KEY or secrets.token_urlsafe(32)
        self.SURVEY_DATA_KEYS = self.SURVEY_DATA_KEYS or _new_keyring_spec()
        self.SURVEY_CODE_SECRET = self.SURVEY_CODE_SECRET or _new_secret()


class ProductionConfig(Config):
    """Behind a TLS proxy, on PostgreSQL. Refuses to start without real secrets."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    SURVEY_PROXY_COUNT = 1  # the TLS proxy in front of gunicorn
    # Not Flask-WTF's "SSL strict" check: over HTTPS it refuses any form posted without a
    # Referer header, and every page tells browsers never to send one (Referrer-Policy:
    # no-referrer). The CSRF token, SameSite=Lax and Secure cookies and HSTS still apply.
    WTF_CSRF_SSL_STRICT = False

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        for name in ("SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET"):
            value = getattr(self, name)
            if value is None or value.strip().lower() in INSECURE_VALUES:
                raise ConfigError(f"{name} must be set to a real secret in production")
        if len(self.SECRET_KEY or "") < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        if len(_decode_secret(self.SURVEY_CODE_SECRET or "")) < 32:
            raise ConfigError("SURVEY_CODE_SECRET must encode at least 32 random bytes")
        if not 17 <= self.SURVEY_SCRYPT_LOG2_N <= 20:
            raise ConfigError("SURVEY_SCRYPT_LOG2_N must be between 17 and 20 in production")
        if self.SURVEY_ARGON2_TIME_COST < 2 or self.SURVEY_ARGON2_MEMORY_COST < 19456:
            raise ConfigError("SURVEY_ARGON2_* costs are below the safe minimum (2, 19456 KiB)")
        if not self.SURVEY_NOTICES_FILE:
            raise ConfigError(
                "SURVEY_NOTICES_FILE must name this deployment's privacy and accessibility "
                "notices: copy survey_app/notices/template.yaml and fill in every field"
            )
        from survey_app.notices import DEMO

        if Path(self.SURVEY_NOTICES_FILE).resolve() == DEMO:
            raise ConfigError(
                "SURVEY_NOTICES_FILE names the demonstration notices: copy "
                "survey_app/notices/template.yaml and fill in your council's details"
            )
        if not self.REDIS_URL:
            # Several server processes must share rate limits and unlocked review keys.
            raise ConfigError("REDIS_URL must be set in production (a Redis without persistence)")
        # Imported here: survey_app imports this module at start-up.
        from survey_app.crypto.datakeys import Keyring

        try:
            Keyring.parse(self.SURVEY_DATA_KEYS or "")
        except ValueError as error:
            raise ConfigError(f"SURVEY_DATA_KEYS is not a valid keyring: {error}") from None


CONFIGS: dict[str, type[Config]] = {
    cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestConfig, ProductionConfig)
}


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration that ``SURVEY_ENV`` names (default: development)."""
    env = os.environ if environ is None else environ
    name = env.get("SURVEY_ENV", "development").strip().lower()
    try:
        cls = CONFIGS[name]
    except KeyError:
        known = ", ".join(sorted(CONFIGS))
        raise ConfigError(f"SURVEY_ENV={name!r} is not one of: {known}") from None
    return cls(env)


def test_database_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The PostgreSQL server the test suite may use, if the machine has one."""
    env = os.environ if environ is None else environ
    return env.get("TEST_DATABASE_URL") or None


def read_support_file(path: str) -> tuple[dict[str, str], ...]:
    """The support list from a YAML file: a list of entries, each with ``name`` and
    ``detail`` (plain text). Any problem is a ConfigError naming the file, entry and reason."""
    import yaml  # a dependency of the questionnaire loader

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"SURVEY_SUPPORT_FILE {path}: cannot be read ({error})") from None
    if not isinstance(data, list) or not data:
        raise ConfigError(f"SURVEY_SUPPORT_FILE {path}: must be a list of entries")
    entries = []
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict) or set(entry) != {"name", "detail"}:
            raise ConfigError(
                f"SURVEY_SUPPORT_FILE {path}: entry {index} must have exactly 'name' and 'detail'"
            )
        if not all(isinstance(entry[key], str) and entry[key].strip() for key in entry):
            raise ConfigError(f"SURVEY_SUPPORT_FILE {path}: entry {index} has an empty field")
        entries.append({"name": entry["name"].strip(), "detail": entry["detail"].strip()})
    return tuple(entries)


def read_notices_file(path: str | None) -> Any:
    """The deployment's notices (``survey_app.notices.Notices``); the demonstration notices
    when no file is named (production refuses that). Problems name file, field and reason."""
    # Imported here: survey_app imports this module at start-up.
    from survey_app.notices import DEMO, NoticesError, load_notices

    try:
        return load_notices(path or DEMO)
    except NoticesError as error:
        raise ConfigError(f"SURVEY_NOTICES_FILE {error}") from None


def _int(env: Mapping[str, str], name: str) -> int:
    try:
        return int(env[name])
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None


def _rate_limit(env: Mapping[str, str], name: str) -> str:
    """A limit such as ``5 per minute;20 per hour`` (the ``limits`` package's notation)."""
    from limits import parse_many  # a dependency of Flask-Limiter

    value = env[name].strip()
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must look like '5 per minute;20 per hour'") from None
    return value


def _new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _new_keyring_spec() -> str:
    return "k1:" + _new_secret()


def _decode_secret(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value.encode("ascii") + b"==")
    except (ValueError, UnicodeEncodeError):
        return b""


def _development_secrets(instance: Path) -> dict[str, str]:
    """Read (or create once) the secrets a development checkout uses."""
    path = instance / "dev-secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    instance.mkdir(parents=True, exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SURVEY_DATA_KEYS": _new_keyring_spec(),
        "SURVEY_CODE_SECRET": _new_secret(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2)
    return values
