"""Benchmark: the annual report of a cycle of 3,000 responses with two earlier cycles.

1. In a temporary instance folder (SQLite), makes three cycles of the Global Majority staff
   survey with the demo's synthetic answers, submitted through the real sealing path, each
   closed, analysed (themes included), its clean quotes approved and published, and links them
   as 2024-25, 2025-26 and 2026-27 (earlier cycles lean more negative). This setup is timed but
   is not the figure of interest.
2. In a fresh process (so that setup does not count towards memory), builds the newest cycle's
   annual report from the three published releases, renders its HTML and lays out its PDF with
   WeasyPrint, and prints each phase's seconds, the PDF's pages and size, and the process's peak
   memory.

    .venv/bin/python benchmarks/annual_report.py                     # 3,000 + 2 × 1,000
    .venv/bin/python benchmarks/annual_report.py --responses 3000 --earlier 3000

Figures go to standard output; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SLUGS = ("bench-2024-25", "bench-2025-26", "bench-2026-27")
CYCLES = ("2024-25", "2025-26", "2026-27")
LEANS = (0.25, 0.12, 0.0)


def app_for(instance: Path):  # type: ignore[no-untyped-def]
    os.environ["SURVEY_INSTANCE_DIR"] = str(instance)
    os.environ.setdefault("SURVEY_ENV", "development")
    from survey_app.wsgi import build

    return build()


def setup(instance: Path, sizes: tuple[int, int, int]) -> None:
    app = app_for(instance)
    from survey_app import demo
    from survey_app.extensions import get_db
    from survey_app.services import cycles, surveys
    from survey_app.storage import migrating

    with app.app_context():
        migrating.upgrade(get_db(), app.config["SURVEY_MIGRATIONS_DIR"], "head")
        log2_n = int(app.config["SURVEY_SCRYPT_LOG2_N"])
        previous = None
        for slug, cycle, lean, size, seed in zip(
            SLUGS, CYCLES, LEANS, sizes, range(3), strict=True
        ):
            started = time.perf_counter()
            demo.ensure_past_survey(
                log2_n, size, slug=slug, title=f"Staff survey {cycle}", seed=seed, lean=lean
            )
            surveys.set_cycle(get_db(), slug, cycle)
            if previous is not None:
                cycles.follow(get_db(), slug, previous)
            previous = slug
            print(
                f"setup {cycle}: {size:,} responses sealed, analysed and published in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )


def measure(instance: Path) -> None:
    app = app_for(instance)
    from survey_app.extensions import get_db, get_keyring, get_questionnaires
    from survey_app.services import annual, pdf, surveys
    from survey_app.web.staff.annual import annual_html

    with app.app_context(), app.test_request_context():
        info = surveys.get_survey(get_db(), SLUGS[-1])
        started = time.perf_counter()
        report = annual.annual_report(get_db(), get_keyring(), get_questionnaires(), info)
        built = time.perf_counter()
        html = annual_html(report)
        rendered = time.perf_counter()
        document = pdf.html_to_pdf(html)
        laid_out = time.perf_counter()
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(document)).pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cycles compared: {', '.join(report.year.cycles) if report.year else 'none'}")
    print(f"build the report data (3 releases decrypted): {built - started:6.2f} s")
    print(f"render the HTML ({len(html) / 1024:,.0f} KB):            {rendered - built:6.2f} s")
    size = f"{pages} pages, {len(document) / 1024:,.0f} KB"
    print(f"lay out the PDF ({size}): {laid_out - rendered:6.2f} s")
    print(f"HTML and PDF together:                       {laid_out - started:6.2f} s")
    print(f"peak memory of the measuring process:        {peak:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=3000)
    parser.add_argument("--earlier", type=int, default=1000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        started = time.perf_counter()
        setup(instance, (args.earlier, args.earlier, args.responses))
        print(f"setup in all: {time.perf_counter() - started:.1f} s\n", flush=True)
        subprocess.run([sys.executable, __file__, "--measure", str(instance)], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
