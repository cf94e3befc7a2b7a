"""Discovery search latency over 100,000 proposals on the database fallback.

Usage (from the repository root):

    .venv/bin/python bench/search_bench.py                 # SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowd_issue7 \\
        .venv/bin/python bench/search_bench.py             # PostgreSQL

The SQLite run uses its own file (``var/search_bench.sqlite3``, or
``BENCH_SQLITE``); the PostgreSQL run uses the database of DATABASE_URL and
fills it once (proposals are only added when fewer than ``--proposals``
exist). Every search goes through ``search.engine.search``, so each timing
includes the facet counts, the page of hits, highlights and the visibility
re-check. Prints p50/p95 in milliseconds per query kind.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUBJECTS = [
    "велосипедные дорожки",
    "детская площадка",
    "освещение",
    "скамейки",
    "парковка",
    "тротуар",
    "остановка автобуса",
    "сквер",
    "фонтан",
    "спортивная площадка",
    "пешеходный переход",
    "клумбы",
    "урны",
    "библиотека",
    "каток",
    "собачья площадка",
    "навес",
    "подземный переход",
]
PLACES = [
    "в парке",
    "у школы",
    "во дворе",
    "на набережной",
    "у метро",
    "на площади",
    "вдоль реки",
    "у поликлиники",
    "в сквере",
    "на улице",
]
VERBS = ["построить", "отремонтировать", "установить", "обновить", "сделать"]
FILLER = (
    "жители района давно просят об этом, потому что сейчас здесь неудобно "
    "и небезопасно особенно вечером и зимой когда темно и скользко а дети "
    "возвращаются из школы пожилым людям тоже нужно место для отдыха"
).split()
RARE = "фуникулёр"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60)
    return parser.parse_args()


def setup_django():
    if "DATABASE_URL" not in os.environ:
        path = os.environ.get(
            "BENCH_SQLITE", str(ROOT / "var" / "search_bench.sqlite3")
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = "sqlite:///%s" % path
    elif os.environ["DATABASE_URL"].rstrip("/").endswith("/test"):
        sys.exit("Refusing to use the shared database named 'test'.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_text(rng: random.Random, rare: bool) -> tuple[str, str]:
    subject = rng.choice(SUBJECTS)
    title = "%s %s %s" % (rng.choice(VERBS).capitalize(), subject, rng.choice(PLACES))
    words = [rng.choice(FILLER) for _ in range(rng.randint(25, 60))]
    words.insert(rng.randint(0, len(words)), subject)
    if rare:
        words.insert(rng.randint(0, len(words)), RARE)
    return title[:150], " ".join(words).capitalize() + "."


def load(target: int) -> None:
    from django.utils import timezone

    from crowdsourcing.models import (
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

    have = Proposal.objects.count()
    if have >= target:
        print("proposals already loaded: %d" % have)
        return
    rng = random.Random(7)
    now = timezone.now()
    department, _ = Department.objects.get_or_create(name="Бенчмарк", slug="bench")
    author, _ = User.objects.get_or_create(
        email="bench@example.org", defaults={"display_name": "Бенчмарк"}
    )
    categories = [
        Category.objects.get_or_create(name="Бенч %d" % i, slug="bench-%d" % i)[0]
        for i in range(12)
    ]
    projects, questions = [], []
    stage_kinds = list(StageKind.values)
    for i in range(10):
        project, created = Project.objects.get_or_create(
            slug="bench-%d" % i,
            defaults={"title": "Проект бенчмарка %d" % i, "department": department},
        )
        if created:
            kind = stage_kinds[i % len(stage_kinds)]
            ProjectStage.objects.create(
                project=project,
                kind=kind,
                starts_at=now - timedelta(days=10),
                ends_at=now + timedelta(days=10),
            )
        projects.append(project)
        for j in range(5):
            questions.append(
                Question.objects.get_or_create(
                    project=project, title="Вопрос %d.%d" % (i, j)
                )[0]
            )
    states = [ProposalState.PUBLISHED] * 8 + [ProposalState.HIDDEN, ProposalState.DRAFT]
    batch = []
    for n in range(have, target):
        question = questions[n % len(questions)]
        title, body = make_text(rng, rare=n % 5000 == 17)
        batch.append(
            Proposal(
                project_id=question.project_id,
                question=question,
                author=author,
                title=title,
                body=body,
                category=rng.choice(categories),
                state=rng.choice(states),
                created_at=now - timedelta(minutes=n),
                published_at=now - timedelta(minutes=n),
            )
        )
        if len(batch) == 5000:
            Proposal.objects.bulk_create(batch)
            batch = []
            print("  proposals: %d" % (n + 1), flush=True)
    if batch:
        Proposal.objects.bulk_create(batch)


def rebuild() -> None:
    from django.core.management import call_command

    from crowdsourcing.models import Proposal
    from search.models import SearchEntry

    if SearchEntry.objects.count() >= Proposal.objects.public().count() > 0:
        print("index already built: %d entries" % SearchEntry.objects.count())
        return
    started = time.perf_counter()
    call_command("search_index", "rebuild")
    print("rebuild took %.0f s" % (time.perf_counter() - started))


def measure(runs: int) -> None:
    from django.db import connection

    from crowdsourcing.models import Category
    from search.backends import database
    from search.engine import search
    from search.query import SearchQuery, Sort

    category = str(
        Category.objects.filter(slug="bench-3").values_list("pk", flat=True)[0]
    )
    cases = {
        "common word «дорожки»": SearchQuery(text="дорожки"),
        "common two words «детская площадка»": SearchQuery(text="детская площадка"),
        "very common «жители»": SearchQuery(text="жители"),
        "common + category filter": SearchQuery(
            text="дорожки", filters={"category": category}
        ),
        "common, newest first, page 5": SearchQuery(
            text="площадка", sort=Sort.NEWEST, page=5
        ),
        "rare word «фуникулер» (ё/е)": SearchQuery(text="фуникулер"),
        "no match «зебра»": SearchQuery(text="зебра"),
        "no words, stage filter": SearchQuery(filters={"stage": "voting"}),
    }
    print("backend: %s, runs per query: %d" % (connection.vendor, runs))
    print(
        "'fresh': the index changed just before each search, so nothing is "
        "cached; 'repeated': the same search again (answers of %d+ matches "
        "are cached until the next index write)." % database.CACHE_MIN_MATCHES
    )
    print(
        "%-38s %7s %11s %11s %11s %11s"
        % (
            "query (facets on)",
            "hits",
            "fresh p50",
            "fresh p95",
            "repeat p50",
            "repeat p95",
        )
    )
    for label, query in cases.items():
        search(query)  # warm caches (stemmer, lexemes, pages)
        fresh = timed(runs, lambda q=query: search(q), before=database.index_changed)
        repeated = timed(runs, lambda q=query: search(q))
        print(
            "%-38s %7d %11.1f %11.1f %11.1f %11.1f"
            % (
                label,
                search(query).count,
                statistics.median(fresh),
                p95(fresh),
                statistics.median(repeated),
                p95(repeated),
            )
        )


def timed(runs: int, action, before=None) -> list[float]:
    """Milliseconds of ``action`` over ``runs`` runs, ``before`` untimed."""
    timings = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def p95(timings: list[float]) -> float:
    return timings[max(0, int(round(0.95 * len(timings))) - 1)]


def main() -> None:
    args = parse_args()
    setup_django()
    load(args.proposals)
    rebuild()
    measure(args.runs)


if __name__ == "__main__":
    main()
