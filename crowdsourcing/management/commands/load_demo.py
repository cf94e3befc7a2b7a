import time
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from crowdsourcing.demo import (
    BOWLING_GREEN_PROJECT,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    MADRID_PROJECT,
    assign_demo_experts,
    ensure_demo_accounts,
    ensure_demo_project,
    ensure_open_ballot,
    grant_demo_project_roles,
    import_bowling_green,
    import_madrid,
    load_pabulib_projects,
    reset_demo_projects,
)
from crowdsourcing.importers import ImportFileError, Progress, datasets
from crowdsourcing.models import (
    Category,
    Department,
    Project,
    ProjectStage,
    Question,
    StageKind,
)
from crowdsourcing.tally import closed_ballot_tally


def _assign_demo_experts(project: Project) -> None:
    """Assign Bowling Green proposals to the three demo experts."""
    assign_demo_experts(project)


def _load_pabulib_projects(data_dir: Path | None) -> None:
    """Finished budgets from Pabulib and one ballot open for the residents."""
    if data_dir is not None and (data_dir / "pabulib").is_dir():
        for project in load_pabulib_projects(data_dir):
            # Tally now, so the first visitor of a results page does not
            # wait for the Method of Equal Shares.
            for ballot in project.ballots.all():
                closed_ballot_tally(ballot)
    ensure_open_ballot()


def _build_pages() -> None:
    """Write the demo's editorial pages: announcements, results, news."""
    from cms.demo import build_demo_pages

    build_demo_pages(list(Project.objects.public().order_by("pk")))


class Command(BaseCommand):
    help = (
        "Собирает демо «Город идей»: демо-аккаунты для каждой роли, небольшой "
        "проект и проекты из настоящих открытых данных — обсуждение (Decide "
        "Madrid) и экспертный отбор (Polis, Боулинг-Грин) с календарём этапов "
        "вокруг сегодняшней даты. Повторный запуск ничего не дублирует; "
        "--reset удаляет демо-проекты и собирает их заново."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Удалить демо-проекты (и импортированных в них участников) и "
            "собрать заново.",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Пароль всех демо-аккаунтов (по умолчанию: %(default)s).",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Папка с открытыми данными (по умолчанию ../shared/data рядом "
            "с проектом).",
        )
        parser.add_argument(
            "--without-data",
            action="store_true",
            help="Только аккаунты и небольшой проект, без импорта данных.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Без полос прогресса."
        )
        parser.add_argument(
            "--send-email",
            action="store_true",
            help="Отправлять письма о действиях, из которых собирается демо "
            "(назначения экспертам и т. п.). По умолчанию письма не уходят.",
        )

    def handle(self, *args, **options):
        if options["send_email"]:
            self._build(options)
            return
        # The demo replays actions (expert assignments, reviews) whose
        # e-mails would otherwise flood the console of a newcomer.
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
        ):
            self._build(options)

    def _build(self, options):
        started = time.monotonic()
        password = options["password"]
        if options["reset"]:
            deleted = reset_demo_projects()
            self.stdout.write("Удалено демо-проектов: %d" % deleted)
        with transaction.atomic():
            ensure_demo_accounts(password)
            self._ensure_city_project()

        if not options["without_data"]:
            self._load_real_data(
                options["data_dir"] or datasets.shared_data_dir(),
                Progress(enabled=not options["no_progress"]),
            )
        _load_pabulib_projects(
            None
            if options["without_data"]
            else options["data_dir"] or datasets.shared_data_dir()
        )
        _build_pages()
        # The importers write rows in bulk without the services' indexing
        # hooks; one rebuild makes search match what was loaded.
        call_command("search_index", "rebuild", no_progress=options["no_progress"])

        self.stdout.write(
            self.style.SUCCESS(
                "Демо-данные готовы за %.0f с." % (time.monotonic() - started)
            )
        )
        self.stdout.write("Демо-аккаунты (пароль у всех: %s):" % password)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                "  %-24s %s" % (account.email, account.role or "Житель (resident)")
            )

    def _load_real_data(self, data_dir: Path, progress: Progress) -> None:
        if not (data_dir / "decide_madrid").is_dir():
            self.stdout.write(
                self.style.WARNING(
                    "Нет папки с открытыми данными (%s): проекты из Decide Madrid и "
                    "Polis не собраны. Укажите её параметром --data-dir." % data_dir
                )
            )
            return
        steps = (
            (MADRID_PROJECT, import_madrid),
            (BOWLING_GREEN_PROJECT, import_bowling_green),
        )
        for spec, load in steps:
            project, created = ensure_demo_project(spec)
            step_started = time.monotonic()
            try:
                summaries = load(project, data_dir, progress)
            except ImportFileError as error:
                raise CommandError("%s\nНичего не записано." % error) from None
            grant_demo_project_roles(project)
            if spec is BOWLING_GREEN_PROJECT:
                _assign_demo_experts(project)
            written = sum(s.rows_written for s in summaries)
            self.stdout.write(
                "%s «%s»: записано строк %d за %.0f с"
                % (
                    "Создан проект" if created else "Проект",
                    project.title,
                    written,
                    time.monotonic() - step_started,
                )
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
            crossings = Question.objects.create(
                project=project,
                title="Какие переходы нужно сделать безопаснее?",
                position=2,
            )
            self._seed_street_ideas(project, crossings)
        grant_demo_project_roles(project)

    def _seed_street_ideas(self, project, question):
        """Give «Удобные улицы» a few published ideas and a thread to join."""
        from crowdsourcing.models import Comment, Proposal, ProposalState, User

        anna = User.objects.get(email="resident@demo.crowd")
        boris = User.objects.get(email="resident2@demo.crowd")
        now = timezone.now()
        ideas = [
            (
                anna,
                "Светофор с кнопкой у школы №12 на Лесной улице",
                "Дети переходят Лесную улицу по нерегулируемому переходу. "
                "Утром поток машин большой, водители не всегда пропускают. "
                "Предлагаю поставить светофор с кнопкой вызова.",
            ),
            (
                boris,
                "Островок безопасности на широком переходе у рынка",
                "Переход через шесть полос у рынка пожилые люди не успевают "
                "пройти за один сигнал. Островок посередине дал бы "
                "возможность переждать.",
            ),
            (
                anna,
                "Понизить бордюры на переходах вдоль бульвара",
                "С коляской и на велосипеде через бульвар не проехать: "
                "бордюры высокие на каждом переходе. Нужны пологие съезды.",
            ),
        ]
        created = []
        for days, (author, title, body) in enumerate(ideas, start=1):
            created.append(
                Proposal.objects.create(
                    project=project,
                    question=question,
                    author=author,
                    title=title,
                    body=body,
                    state=ProposalState.PUBLISHED,
                    created_at=now - timedelta(days=days),
                    submitted_at=now - timedelta(days=days),
                    published_at=now - timedelta(days=days, hours=-3),
                )
            )
        first = Comment.objects.create(
            proposal=created[0],
            author=boris,
            body="Поддерживаю. Там ещё и освещение слабое вечером.",
            created_at=now - timedelta(hours=20),
        )
        Comment.objects.create(
            proposal=created[0],
            author=anna,
            parent=first,
            depth=1,
            body="Да, фонарь над переходом тоже нужен — добавлю в описание.",
            created_at=now - timedelta(hours=18),
        )
