"""A closed, analysed report survey on the sample application (both databases)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.integration.reports.support import Built, closed_survey


@pytest.fixture
def built(sample_app: Flask) -> Built:
    return closed_survey(sample_app)
