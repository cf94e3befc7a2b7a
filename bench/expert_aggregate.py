"""Time the expert queue and the aggregate page on a large project.

Builds a project with --proposals proposals over 5 questions, 3 criteria and
--reviews submitted reviews per proposal inside one transaction, requests the
pages through Django's test client, prints p50/p95 in milliseconds and the
number of queries, then rolls everything back. Point DATABASE_URL at
PostgreSQL to measure what production sees:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowd \\
        .venv/bin/python bench/expert_aggregate.py --proposals 2000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--reviews", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from crowdsourcing.models import (
        AssignmentState,
        Criterion,
        Department,
        ExpertAssignment,
        Project,
        ProjectStage,
        Proposal,
        ProposalState,
        ProposalUserObjectPermission,
        Question,
        Review,
        ReviewScore,
        StageKind,
        User,
    )
    from crowdsourcing.roles import Role

    setup_test_environment()
    settings_hosts = __import__("django.conf").conf.settings.ALLOWED_HOSTS
    if "testserver" not in settings_hosts:
        settings_hosts.append("testserver")

    def timed(client, path, runs):
        client.get(path)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        samples.sort()
        p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
        return statistics.median(samples), p95, len(queries)

    try:
        with transaction.atomic():
            now = timezone.now()
            department = Department.objects.create(name="Bench dept", slug="bench-d")
            project = Project.objects.create(
                department=department, title="Bench", slug="bench-expert"
            )
            for kind in StageKind.values:
                ProjectStage.objects.create(
                    project=project,
                    kind=kind,
                    starts_at=now - timedelta(days=1),
                    ends_at=now + timedelta(days=1),
                )
            questions = [
                Question.objects.create(project=project, title=f"Q{i}", position=i)
                for i in range(5)
            ]
            criteria = [
                Criterion.objects.create(
                    project=project, name=f"C{i}", weight=i + 1, scale_max=5 + i
                )
                for i in range(3)
            ]
            author = User.objects.create_user("bench-author@example.org")
            moderator = User.objects.create_user("bench-mod@example.org", "x")
            moderator.groups.add(Group.objects.get(name=Role.MODERATOR))
            assign_perm("crowdsourcing.moderate_project", moderator, project)
            experts = []
            for i in range(args.reviews):
                expert = User.objects.create_user(f"bench-exp{i}@example.org", "x")
                expert.groups.add(Group.objects.get(name=Role.EXPERT))
                experts.append(expert)
            proposals = Proposal.objects.bulk_create(
                Proposal(
                    project=project,
                    question=questions[i % 5],
                    author=author,
                    title=f"Предложение {i}",
                    body="Текст предложения для замера скорости страницы.",
                    state=ProposalState.UNDER_REVIEW,
                    created_at=now,
                )
                for i in range(args.proposals)
            )
            due = timezone.localdate() + timedelta(days=3)
            assignments = ExpertAssignment.objects.bulk_create(
                ExpertAssignment(
                    proposal=p,
                    expert=e,
                    due_date=due,
                    state=AssignmentState.SUBMITTED,
                )
                for p in proposals
                for e in experts
            )
            from django.contrib.auth.models import Permission

            permission = Permission.objects.get(codename="review_proposal")
            ProposalUserObjectPermission.objects.bulk_create(
                ProposalUserObjectPermission(
                    user_id=a.expert_id,
                    content_object_id=a.proposal_id,
                    permission=permission,
                )
                for a in assignments
            )
            reviews = Review.objects.bulk_create(
                Review(
                    assignment=a,
                    recommendation="support",
                    justification="ok",
                    no_conflict_declared=True,
                    submitted_at=now,
                )
                for a in assignments
            )
            ReviewScore.objects.bulk_create(
                ReviewScore(
                    review=r,
                    criterion=c,
                    value=c.scale_min + (r.pk + c.pk) % (c.scale_max - c.scale_min),
                    scale_min=c.scale_min,
                    scale_max=c.scale_max,
                )
                for r in reviews
                for c in criteria
            )
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
                client = Client()
                client.force_login(moderator)
                client.get(f"/expert/projects/{project.slug}/aggregate/")
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            client = Client()
            client.force_login(moderator)
            p50, p95, n = timed(
                client, f"/expert/projects/{project.slug}/aggregate/", args.runs
            )
            print(
                f"aggregate page, {args.proposals} proposals x {args.reviews} "
                f"reviews: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {n} queries"
            )
            p50, p95, n = timed(
                client, f"/expert/projects/{project.slug}/aggregate.csv", args.runs
            )
            print(f"aggregate CSV: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {n} queries")
            client.force_login(experts[0])
            p50, p95, n = timed(client, "/expert/", args.runs)
            print(
                f"expert queue ({args.proposals} assignments, page of 25): "
                f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, {n} queries"
            )
            print(f"database: {connection.vendor}")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
