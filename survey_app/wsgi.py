"""Entry point for gunicorn and the ``flask`` command: ``survey_app.wsgi:build()``.

An invalid questionnaire stops start-up with one line per problem (``file: /pointer: reason``)
and exit status 1, rather than a traceback.
"""

from __future__ import annotations

import sys

from flask import Flask

from config import ConfigError
from survey_app import create_app
from survey_app.domain.errors import QuestionnaireError


def build() -> Flask:
    try:
        return create_app()
    except QuestionnaireError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("Candour did not start: fix the questionnaire problems above.", file=sys.stderr)
        raise SystemExit(1) from None
    except ConfigError as error:
        print(f"Candour did not start: {error}", file=sys.stderr)
        raise SystemExit(1) from None
