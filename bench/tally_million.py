"""Tally one million stored ballots; the goal is under 5 seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowd_issue5 \
        .venv/bin/python bench/tally_million.py [--papers 1000000]

Creates (once; later runs reuse it) an approval ballot with 20 options and
the given number of papers, each naming 1 to 3 distinct options, written by
the database itself (generate_series) so that set-up takes seconds. Then
runs ``tally_ballot`` five times and prints each time, the best and the
median, and checks the counts against an independent COUNT(*).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from crowdsourcing.models import (
        Ballot,
        BallotKind,
        BallotOption,
        BallotPaper,
        Department,
        Project,
        Vote,
    )
    from crowdsourcing.tally import tally_ballot

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    slug = f"bench-tally-{args.papers}"
    ballot = Ballot.objects.filter(project__slug=slug).first()
    if ballot is None:
        print(f"writing {args.papers} papers...", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            department, _ = Department.objects.get_or_create(
                slug="bench", defaults={"name": "Нагрузочный тест"}
            )
            project, _ = Project.objects.get_or_create(
                slug=slug,
                defaults={"department": department, "title": "Подсчёт миллиона"},
            )
            ballot = Ballot.objects.create(
                project=project,
                title="Миллион бюллетеней",
                kind=BallotKind.APPROVAL,
                max_choices=3,
            )
            options = BallotOption.objects.bulk_create(
                BallotOption(ballot=ballot, title=f"Вариант {n}", position=n)
                for n in range(20)
            )
            ids = [o.pk for o in options]
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO crowdsourcing_ballotpaper (id, ballot_id) "
                    "SELECT gen_random_uuid(), %s FROM generate_series(1, %s)",
                    [ballot.pk, args.papers],
                )
                # Option (h + k) mod 20 for k < n: 1 to 3 distinct options.
                cursor.execute(
                    """
                    INSERT INTO crowdsourcing_vote (id, paper_id, option_id, points)
                    SELECT gen_random_uuid(), p.id,
                        (%s::bigint[])[1 + (p.h + k) %% 20], 1
                    FROM (
                        SELECT id, abs(hashtext(id::text)) AS h
                        FROM crowdsourcing_ballotpaper WHERE ballot_id = %s
                    ) AS p
                    CROSS JOIN generate_series(0, 2) AS k
                    WHERE k < 1 + (p.h / 20) %% 3
                    """,
                    [ids, ballot.pk],
                )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE crowdsourcing_vote")
            cursor.execute("VACUUM ANALYZE crowdsourcing_ballotpaper")
        print(f"written in {time.perf_counter() - started:.1f} s", flush=True)

    papers = BallotPaper.objects.filter(ballot=ballot).count()
    rows = Vote.objects.filter(option__ballot=ballot).count()
    print(f"ballot {ballot.pk}: {papers} papers, {rows} vote rows")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        result = tally_ballot(ballot)
        timings.append(time.perf_counter() - started)
        print(f"tally: {timings[-1]:.3f} s", flush=True)
    assert result.voters == papers
    assert sum(o.votes for o in result.options) == rows
    print(
        f"best {min(timings):.3f} s, median {statistics.median(timings):.3f} s "
        f"for {papers} ballots; counts check: OK"
    )


if __name__ == "__main__":
    main()
