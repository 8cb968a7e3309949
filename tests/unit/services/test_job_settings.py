"""What a job process is told of the configuration: enough to analyse as the web would."""

from __future__ import annotations

from pathlib import Path

from config import Config
from survey_app.services.jobs import JobSettings


def test_a_job_is_told_the_theme_engine_and_the_embedding_runtime(tmp_path: Path) -> None:
    config = Config(
        {
            "SURVEY_INSTANCE_DIR": str(tmp_path),
            "SURVEY_DATA_KEYS": "unused here",
            "SURVEY_THEME_ENGINE": "semantic",
            "SURVEY_EMBEDDING_RUNTIME": "onnx",
        }
    )
    told = JobSettings.from_config(vars(config) | {"SURVEY_QUESTIONNAIRE_DIR": "q"}).for_process()
    assert told["theme_engine"] == "semantic"
    assert told["embedding_runtime"] == "onnx"
    # The queue's Redis address is for the web process only.
    assert "queue_url" not in told


def test_the_embedding_runtime_defaults_to_auto(tmp_path: Path) -> None:
    config = Config({"SURVEY_INSTANCE_DIR": str(tmp_path), "SURVEY_DATA_KEYS": "x"})
    settings = vars(config) | {"SURVEY_QUESTIONNAIRE_DIR": "q"}
    assert JobSettings.from_config(settings).for_process()["embedding_runtime"] == "auto"
