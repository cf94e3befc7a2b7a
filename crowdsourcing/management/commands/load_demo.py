from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crowdsourcing.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    ensure_demo_accounts,
    grant_demo_project_roles,
)
from crowdsourcing.models import (
    Category,
    Department,
    Project,
    ProjectStage,
    Question,
    StageKind,
)


class Command(BaseCommand):
    help = (
        "Load the «Город идей» demo: demo accounts for every role and demo "
        "projects. Safe to run twice; --reset starts over."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo projects first and build them again.",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password for every demo account (default: %(default)s).",
        )

    def handle(self, *args, reset=False, password=DEMO_PASSWORD, **options):
        with transaction.atomic():
            ensure_demo_accounts(password)
            if reset:
                Project.objects.filter(slug__startswith="demo-").delete()
            self._ensure_city_project()

        self.stdout.write(self.style.SUCCESS("Демо-данные готовы."))
        self.stdout.write("Демо-аккаунты (пароль у всех: %s):" % password)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                "  %-24s %s" % (account.email, account.role or "Житель (resident)")
            )

    def _ensure_city_project(self):
        department, _ = Department.objects.get_or_create(
            slug="demo-dept-transport",
            defaults={"name": "Департамент транспорта"},
        )
        Category.objects.get_or_create(slug="transport", defaults={"name": "Транспорт"})
        project, created = Project.objects.get_or_create(
            slug="demo-streets",
            defaults={
                "department": department,
                "title": "Удобные улицы",
                "summary": "Как сделать улицы района удобнее для пешеходов и "
                "велосипедистов?",
                "description": "Департамент транспорта собирает идеи жителей.",
            },
        )
        if created:
            now = timezone.now()
            windows = [
                (StageKind.ANNOUNCEMENT, -10, -5),
                (StageKind.PROPOSALS, -5, 20),
                (StageKind.DISCUSSION, -5, 25),
                (StageKind.EXPERT_SELECTION, 25, 35),
                (StageKind.VOTING, 35, 45),
                (StageKind.RESULTS, 45, 400),
            ]
            for kind, start, end in windows:
                ProjectStage.objects.create(
                    project=project,
                    kind=kind,
                    starts_at=now + timedelta(days=start),
                    ends_at=now + timedelta(days=end),
                )
            Question.objects.create(
                project=project,
                title="Где не хватает велосипедных дорожек?",
                position=1,
            )
            Question.objects.create(
                project=project,
                title="Какие переходы нужно сделать безопаснее?",
                position=2,
            )
        grant_demo_project_roles(project)
