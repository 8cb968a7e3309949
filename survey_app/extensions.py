"""The application's shared objects, kept in ``app.extensions`` and reached through accessors."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

from survey_app.crypto import Keyring
from survey_app.domain.loading import Catalogue, load_directory
from survey_app.services.intake import IntakeCeiling
from survey_app.services.jobs import JobSettings
from survey_app.services.journey import Intake, SurveyLinks
from survey_app.services.themes import ThemeOptions, theme_options
from survey_app.services.unlocking import UnlockStore, unlock_store
from survey_app.storage.database import Database

csrf = CSRFProtect()


def _no_default_key() -> str:
    # No default key, and so no default or application-wide limits: each limit on a staff
    # page names its own key (web.staff.throttling; one is an HMAC of a staff member's
    # address, never the address). A limit with an empty key is skipped.
    return ""


# Storage comes from RATELIMIT_STORAGE_URI: REDIS_URL, which production requires so that every
# server process shares one count, or this process's memory (development, tests).
limiter = Limiter(key_func=_no_default_key)


@limiter.request_filter
def _not_a_staff_page() -> bool:
    """Only staff pages carry limits. Respondent pages skip the limiter entirely: nothing
    about a respondent, their address least of all, is ever a key or a count."""
    return request.blueprint != "staff"


STAFF_BLUEPRINT = "staff"


def _limit_staff_pages_only(app: Flask) -> None:
    """Run Flask-Limiter's request hooks for the staff pages alone.

    ``limiter.init_app`` hooks into every request of the application, where the filter above
    then exempts all but the staff pages -- after about 0.15 ms of work per request, a tenth
    of a respondent's page. Registered on the staff blueprint instead (before its own hooks,
    which is where they ran), they never run for anyone else. The filter stays, in case a
    later Flask-Limiter hooks in some other way."""
    _move_limiter_hooks(app.before_request_funcs)
    _move_limiter_hooks(app.after_request_funcs)
    _move_limiter_hooks(app.teardown_request_funcs)


def _move_limiter_hooks(registry: dict[str | None, list[Any]]) -> None:
    everywhere = registry.get(None, [])
    ours = [hook for hook in everywhere if _belongs_to_limiter(hook)]
    registry[None] = [hook for hook in everywhere if hook not in ours]
    registry[STAFF_BLUEPRINT] = ours + registry.get(STAFF_BLUEPRINT, [])


def _belongs_to_limiter(hook: Any) -> bool:
    """A bound method of the limiter, or a ``functools.partial`` of one of its functions."""
    return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())


DB = "candour.db"
QUESTIONNAIRES = "candour.questionnaires"
KEYRING = "candour.keyring"
CODE_SECRET = "candour.code_secret"  # noqa: S105 - an extensions key, not a secret
THEME_OPTIONS = "candour.theme_options"
UNLOCKS = "candour.unlocks"
INTAKE = "candour.intake"
LINKS = "candour.links"


def init_app(app: Flask) -> None:
    """Load questionnaires (refusing to start on any problem), keys and the database."""
    app.extensions[QUESTIONNAIRES] = load_directory(Path(app.config["SURVEY_QUESTIONNAIRE_DIR"]))
    app.extensions[KEYRING] = Keyring.parse(app.config["SURVEY_DATA_KEYS"])
    # Read now so that a broken redaction file stops start-up rather than an analysis run.
    app.extensions[THEME_OPTIONS] = theme_options(app.config)
    app.extensions[CODE_SECRET] = base64.urlsafe_b64decode(
        app.config["SURVEY_CODE_SECRET"].encode("ascii") + b"=="
    )
    url: str = app.config["SURVEY_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.extensions[DB] = Database(url)
    # Unlocked review keys: this process's memory, or Redis shared by every process.
    app.extensions[UNLOCKS] = unlock_store(app.config.get("REDIS_URL"))
    # Open surveys' ceiling on responses a minute, counted where the sign-in limits are.
    app.extensions[INTAKE] = Intake(
        IntakeCeiling(app.config["RATELIMIT_STORAGE_URI"]),
        int(app.config["SURVEY_OPEN_RESPONSES_PER_MINUTE"]),
    )
    app.extensions[LINKS] = SurveyLinks(float(app.config["SURVEY_LINK_CACHE_SECONDS"]))
    csrf.init_app(app)
    limiter.init_app(app)
    _limit_staff_pages_only(app)


def get_db() -> Database:
    return cast(Database, current_app.extensions[DB])


def get_survey_links() -> SurveyLinks:
    return cast(SurveyLinks, current_app.extensions[LINKS])


def get_intake() -> Intake:
    return cast(Intake, current_app.extensions[INTAKE])


def get_questionnaires() -> Catalogue:
    return cast(Catalogue, current_app.extensions[QUESTIONNAIRES])


def get_keyring() -> Keyring:
    return cast(Keyring, current_app.extensions[KEYRING])


def get_code_secret() -> bytes:
    return cast(bytes, current_app.extensions[CODE_SECRET])


def get_theme_options() -> ThemeOptions:
    return cast(ThemeOptions, current_app.extensions[THEME_OPTIONS])


def get_unlock_store() -> UnlockStore:
    return cast(UnlockStore, current_app.extensions[UNLOCKS])


def unlock_seconds() -> int:
    """How long a review stays unlocked."""
    return int(current_app.config["SURVEY_REVIEW_UNLOCK_HOURS"]) * 3600


def job_settings() -> JobSettings:
    """What a key holder job process needs from this application's configuration."""
    return JobSettings.from_config(current_app.config)
