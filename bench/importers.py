"""Time the importers and the demo set-up; print rows per second.

    .venv/bin/python bench/importers.py            # a scratch SQLite file
    DATABASE_URL=postgres://... .venv/bin/python bench/importers.py

Without DATABASE_URL it builds a fresh SQLite database in a temporary
folder, so the development database is never touched. Each importer runs
twice: the first run writes, the second must write nothing.
"""

import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
scratch = None
if "DATABASE_URL" not in os.environ:
    scratch = tempfile.TemporaryDirectory(prefix="crowd-bench-")
    os.environ["DATABASE_URL"] = "sqlite:///%s/bench.sqlite3" % scratch.name
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from crowdsourcing.importers import datasets, import_consul, import_polis  # noqa: E402


def report(label, summary):
    print(
        "%-34s %7d rows in %6.1f s = %7.0f rows/s"
        % (label, summary.rows_written, summary.seconds, summary.rows_per_second)
    )


def main():
    print("database:", connection.vendor, connection.settings_dict["NAME"])
    if scratch:
        call_command("migrate", verbosity=0)
    madrid = datasets.decide_madrid()
    runs = [
        (
            "Polis Bowling Green",
            lambda: import_polis(
                datasets.polis_bowling_green(), project_slug="bench-bg", language="en"
            ),
        ),
        (
            "CONSUL Madrid 2015-2019 + comments",
            lambda: import_consul(
                madrid["proposals_2015_2019"],
                comments_file=madrid["comments_2015_2019"],
                hierarchy_file=madrid["hierarchy_2015_2019"],
                project_slug="bench-madrid",
                language="es",
                source_timezone="Europe/Madrid",
            ),
        ),
        (
            "CONSUL Madrid 2024-2025",
            lambda: import_consul(
                madrid["proposals_2024_2025"],
                project_slug="bench-madrid",
                language="es",
                source_timezone="Europe/Madrid",
            ),
        ),
    ]
    for label, run in runs:
        report(label, run())
        again = run()
        assert again.rows_written == 0, "a second run wrote rows"
        report("  second run", again)
    started = time.monotonic()
    call_command("load_demo", "--reset", "--no-progress", stdout=io.StringIO())
    print("load_demo --reset: %.0f s" % (time.monotonic() - started))
    print("load average:", " ".join("%.1f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
