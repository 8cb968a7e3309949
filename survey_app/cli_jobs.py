"""``flask jobs``: run the job workers that analyse, publish and unlock reviews in production.

A worker takes key holder jobs from Redis (``REDIS_URL``), each in a process that exits when
the job ends (``services.job_queue``). Run several (one per core the jobs may use), each under
a service manager that restarts it; see README, "Jobs".
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.cli import fail
from survey_app.extensions import get_db
from survey_app.services.jobs import JobSettings

jobs_cli = AppGroup("jobs", help="Run the workers that do analyses, publishing and unlocking.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once no job is waiting.")
@click.option("--name", default=None, help="The worker's name (default: a random one).")
def jobs_worker(burst: bool, name: str | None) -> None:
    """Take jobs from the job queue in Redis until stopped (SIGTERM lets a running job end)."""
    from survey_app.services.job_queue import KeyHolderWorker, connect

    config = current_app.config
    if not config.get("REDIS_URL"):
        fail("A job worker needs REDIS_URL: the queue it takes jobs from.")
        return
    if config.get("SURVEY_JOBS") != "queue":
        click.echo("Warning: SURVEY_JOBS is not 'queue', so the web pages run jobs themselves.")
    settings = JobSettings.from_config({**config, "SURVEY_JOBS": "queue"})
    get_db().dispose()  # each job opens the database in its own process
    worker = KeyHolderWorker(
        settings=settings, name=name, connection=connect(str(settings.queue_url))
    )
    worker.work(burst=burst, logging_level="INFO")
