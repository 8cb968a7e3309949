"""Candour: anonymous, encrypted staff surveys with reports that cannot identify anyone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from config import Config, load_config


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` is a Config object, a mapping of overrides applied on
    top of the test configuration, or None for the environment's configuration."""
    from survey_app import cli, extensions, logs
    from survey_app.web import register_web

    app = Flask(
        __name__,
        instance_relative_config=False,
        template_folder="web/templates",
        static_folder="web/static",
    )
    if config is None:
        config = load_config()
    elif not isinstance(config, Config):
        from config import TestConfig

        overrides = dict(config)
        config = TestConfig({})
        for key, value in overrides.items():
            setattr(config, key, value)
    app.config.from_mapping(config.as_mapping())
    app.config["SURVEY_ENV"] = config.ENV_NAME

    logs.init_app(app)
    extensions.init_app(app)
    register_web(app)
    cli.init_app(app)
    return app
