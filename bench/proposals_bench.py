"""Load 100,000 proposals into PostgreSQL and time the proposal pages.

Usage (PostgreSQL only; the data stays for the next run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowd_bench \\
        .venv/bin/python bench/proposals_bench.py [--requests 200]

It migrates the database, loads one project with 100,000 proposals (90 %
published, the rest hidden, rejected or waiting), about 300,000 ratings and
60,000 comments if they are not there yet, then requests the list page
(every sort, random pages among the first 50) and random proposal pages
through Django's test client, and prints p50/p95 per page in milliseconds.
The time is the whole Django request (middleware, queries, template), not
the network.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from crowdsourcing.models import (  # noqa: E402
    Category,
    Department,
    Project,
    ProjectStage,
    Proposal,
    ProposalState,
    Question,
    StageKind,
    User,
)

SLUG = "bench-100k"
PROPOSALS = 100_000
USERS = 5_000
BATCH = 5_000


def seed() -> Project:
    project = Project.objects.filter(slug=SLUG).first()
    if project and project.proposals.count() >= PROPOSALS:
        print(f"Reusing {project.proposals.count()} proposals of project {SLUG}")
        call_command("recount_proposals", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE crowdsourcing_proposal")
        return project
    started = time.perf_counter()
    with transaction.atomic():
        department, _ = Department.objects.get_or_create(
            slug="bench", defaults={"name": "Бенчмарк"}
        )
        project = Project.objects.create(
            department=department, title="Проект для замеров", slug=SLUG
        )
        now = timezone.now()
        for kind in StageKind.values:
            ProjectStage.objects.create(
                project=project,
                kind=kind,
                starts_at=now - timedelta(days=30),
                ends_at=now + timedelta(days=365),
            )
        questions = [
            Question.objects.create(project=project, title=f"Вопрос {n}", position=n)
            for n in range(5)
        ]
        categories = [
            Category.objects.get_or_create(
                slug=f"bench-{n}", defaults={"name": f"Категория замеров {n}"}
            )[0]
            for n in range(10)
        ]
        User.objects.bulk_create(
            [
                User(
                    email=f"bench{n}@bench.invalid",
                    display_name=f"Участник {n}",
                    password="!",
                    email_confirmed=True,
                )
                for n in range(USERS)
            ],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        user_ids = list(
            User.objects.filter(email__endswith="@bench.invalid").values_list(
                "pk", flat=True
            )
        )
        rng = random.Random(42)
        states = [ProposalState.PUBLISHED] * 18 + [
            ProposalState.HIDDEN,
            ProposalState.REJECTED,
        ]
        body = (
            "Предлагаю благоустроить территорию: поставить скамейки, урны и "
            "фонари, отремонтировать дорожки и сделать площадку для детей. "
        ) * 4
        for start in range(0, PROPOSALS, BATCH):
            Proposal.objects.bulk_create(
                [
                    Proposal(
                        project=project,
                        question=rng.choice(questions),
                        category=rng.choice(categories),
                        author_id=rng.choice(user_ids),
                        title=f"Предложение жителей номер {n}",
                        body=body,
                        state=rng.choice(states),
                        created_at=now - timedelta(minutes=n),
                    )
                    for n in range(start, start + BATCH)
                ],
                batch_size=BATCH,
            )
            print(f"  proposals: {start + BATCH}", flush=True)
        with connection.cursor() as cursor:
            # Ratings: 3 per proposal on average, unique per (proposal, user).
            cursor.execute(
                """
                INSERT INTO crowdsourcing_rating (proposal_id, user_id, value,
                                                  created_at)
                SELECT p.id, u.id, CASE WHEN random() < 0.8 THEN 1 ELSE -1 END,
                       now()
                FROM crowdsourcing_proposal p
                CROSS JOIN LATERAL (
                    SELECT id FROM crowdsourcing_user
                    WHERE email LIKE '%%@bench.invalid'
                    OFFSET floor(random() * %s)::int LIMIT (p.id %% 7)
                ) u
                WHERE p.project_id = %s
                ON CONFLICT DO NOTHING
                """,
                [USERS - 7, project.pk],
            )
            cursor.execute(
                """
                INSERT INTO crowdsourcing_comment (proposal_id, author_id, depth,
                    body, state, external_id, created_at)
                SELECT p.id, %s, 0, 'Комментарий для замеров', 'visible', '',
                       now()
                FROM crowdsourcing_proposal p, generate_series(1, 2)
                WHERE p.project_id = %s AND p.id %% 3 = 0
                """,
                [user_ids[0], project.pk],
            )
    # The loader writes rows directly, as an importer does.
    call_command("recount_proposals", verbosity=0)
    with connection.cursor() as cursor:
        # What autovacuum does soon after a load in production: statistics
        # and the visibility map that index-only scans need.
        cursor.execute("VACUUM ANALYZE")
    print(f"Loaded in {time.perf_counter() - started:.0f} s")
    return project


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def measure(client: Client, urls: list[str]) -> list[float]:
    client.get(urls[0])  # warm the template and connection caches
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL: this measures PostgreSQL.")
    call_command("migrate", verbosity=0)
    project = seed()
    rng = random.Random(7)
    base = f"/projects/{project.slug}/proposals/"
    listed = list(
        Proposal.objects.listed()
        .filter(project=project)
        .values_list("pk", flat=True)[:20_000]
    )
    total = Proposal.objects.filter(project=project).count()
    print(f"Project {project.slug}: {total} proposals, {len(listed)}+ listed")
    client = Client()
    pages = {
        "list, newest": [
            f"{base}?page={rng.randint(1, 50)}" for _ in range(args.requests)
        ],
        "list, most supported": [
            f"{base}?sort=supported&page={rng.randint(1, 50)}"
            for _ in range(args.requests)
        ],
        "list, most discussed": [
            f"{base}?sort=discussed&page={rng.randint(1, 50)}"
            for _ in range(args.requests)
        ],
        "list, question filter": [
            f"{base}?question={project.questions.first().pk}&page={rng.randint(1, 50)}"
            for _ in range(args.requests)
        ],
        "proposal page": [
            f"/proposals/{rng.choice(listed)}/" for _ in range(args.requests)
        ],
    }
    print(f"{'page':<24}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}")
    for name, urls in pages.items():
        timings = measure(client, urls)
        print(
            f"{name:<24}{len(timings):>6}{statistics.median(timings):>10.1f}"
            f"{percentile(timings, 95):>10.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
