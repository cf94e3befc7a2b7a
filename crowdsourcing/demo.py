"""The demo: accounts for every role and projects built from real data.

load_demo (the README's first command) calls these; the importers do the
heavy lifting, so the demo exercises the same code a city would use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from .importers import Progress, Summary, datasets, import_consul, import_polis
from .models import (
    Department,
    Project,
    ProjectStage,
    Proposal,
    Question,
    StageKind,
    User,
)
from .roles import Role

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-crowd-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: str | None
    superuser: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("operator@demo.crowd", "Оператор Ольга", Role.OPERATOR, superuser=True),
    DemoAccount("moderator@demo.crowd", "Модератор Михаил", Role.MODERATOR),
    DemoAccount("editor@demo.crowd", "Редактор Елена", Role.EDITOR),
    DemoAccount("staff@demo.crowd", "Сотрудник Сергей", Role.DEPARTMENT_STAFF),
    DemoAccount("expert@demo.crowd", "Эксперт Эмма", Role.EXPERT),
    DemoAccount("expert2@demo.crowd", "Эксперт Эдуард", Role.EXPERT),
    DemoAccount("expert3@demo.crowd", "Эксперт Эльвира", Role.EXPERT),
    DemoAccount("resident@demo.crowd", "Жительница Анна", None),
    DemoAccount("resident2@demo.crowd", "Житель Борис", None),
]


@transaction.atomic
def ensure_demo_accounts(password: str = DEMO_PASSWORD) -> list[User]:
    """Create or refresh the demo accounts; safe to run again."""
    from allauth.account.models import EmailAddress

    users = []
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=account.email,
            defaults={"display_name": account.display_name},
        )
        user.display_name = account.display_name
        user.email_confirmed = True
        user.is_superuser = account.superuser
        user.is_staff = account.role is not None
        user.set_password(password)
        user.save()
        if account.role:
            user.groups.add(Group.objects.get(name=account.role))
        EmailAddress.objects.update_or_create(
            user=user,
            email=account.email,
            defaults={"verified": True, "primary": True},
        )
        users.append(user)
        if created:
            logger.info("Created demo account %s", user.pk)
    return users


def grant_demo_project_roles(project: Project) -> None:
    """Make the demo moderator and staff member responsible for ``project``."""
    moderator = User.objects.get(email="moderator@demo.crowd")
    staff = User.objects.get(email="staff@demo.crowd")
    assign_perm("crowdsourcing.moderate_project", moderator, project)
    assign_perm("crowdsourcing.work_for_department", staff, project.department)


def grant_demo_department(department: Department) -> None:
    staff = User.objects.get(email="staff@demo.crowd")
    assign_perm("crowdsourcing.work_for_department", staff, department)


# The projects built from real data. Stage windows are in days around the
# start of today in Moscow, so the demo is always "live" whenever it is built.
@dataclass(frozen=True)
class DemoProject:
    slug: str
    title: str
    summary: str
    description: str
    question: str
    department_slug: str
    department_name: str
    language: str
    attribution: str
    windows: dict[str, tuple[int, int]]


MADRID_PROJECT = DemoProject(
    slug="demo-madrid",
    title="Идеи для Мадрида: предложения жителей",
    summary="Настоящие предложения и обсуждения жителей Мадрида с платформы "
    "Decide Madrid — на них видно, как работают подача, модерация и обсуждение.",
    description=(
        "Проект собран из открытых данных Мадрида (decide.madrid.es, платформа "
        "CONSUL): 80 предложений 2015–2019 годов с ветками обсуждения и 2 738 "
        "предложений 2024–2025 годов. Тексты оставлены на испанском, как их "
        "написали жители.\n\n"
        "Предложения, похожие на проверки уязвимостей, тестовые записи и точные "
        "повторы при импорте отправлены модераторам и на сайте не показываются."
    ),
    question="Что сделать, чтобы город стал удобнее для жизни?",
    department_slug="demo-dept-city",
    department_name="Департамент городского хозяйства",
    language="es",
    attribution=datasets.DECIDE_MADRID_ATTRIBUTION,
    windows={
        StageKind.ANNOUNCEMENT: (-30, -20),
        StageKind.PROPOSALS: (-20, 20),
        StageKind.DISCUSSION: (-20, 30),
        StageKind.EXPERT_SELECTION: (30, 45),
        StageKind.VOTING: (45, 60),
        StageKind.RESULTS: (60, 400),
    },
)
BOWLING_GREEN_PROJECT = DemoProject(
    slug="demo-bowling-green",
    title="Боулинг-Грин: каким должен стать город",
    summary="Открытая беседа жителей Боулинг-Грина (Кентукки, США) на Polis: "
    "896 высказываний и голоса 2 031 участника. Сейчас идёт экспертный отбор.",
    description=(
        "Высказывания жителей стали предложениями, голоса «согласен» и «не "
        "согласен» — оценками. Отклонённые модераторами Polis высказывания "
        "на сайте не показываются. Тексты оставлены на английском.\n\n"
        "На этапе экспертного отбора приглашённые эксперты оценивают "
        "назначенные им предложения."
    ),
    question="Что должно измениться в Боулинг-Грине и округе Уоррен, чтобы "
    "здесь было лучше жить, работать и отдыхать?",
    department_slug="demo-dept-city",
    department_name="Департамент городского хозяйства",
    language="en",
    attribution=datasets.POLIS_BOWLING_GREEN_ATTRIBUTION,
    windows={
        StageKind.ANNOUNCEMENT: (-90, -75),
        StageKind.PROPOSALS: (-75, -40),
        StageKind.DISCUSSION: (-75, -10),
        StageKind.EXPERT_SELECTION: (-10, 20),
        StageKind.VOTING: (20, 35),
        StageKind.RESULTS: (35, 400),
    },
)
DEMO_DATA_PROJECTS = (MADRID_PROJECT, BOWLING_GREEN_PROJECT)


def _moscow_midnight():
    moscow = ZoneInfo("Europe/Moscow")
    today = timezone.now().astimezone(moscow).date()
    return datetime.combine(today, time.min, tzinfo=moscow)


@transaction.atomic
def ensure_demo_project(spec: DemoProject) -> tuple[Project, bool]:
    """Create the project with its calendar and question unless it exists.

    An existing project is left as it is, so a second run of load_demo does
    not move a calendar someone has been trying things with.
    """
    project = Project.objects.filter(slug=spec.slug).first()
    if project is not None:
        return project, False
    department, _created = Department.objects.get_or_create(
        slug=spec.department_slug, defaults={"name": spec.department_name}
    )
    project = Project.objects.create(
        department=department,
        slug=spec.slug,
        title=spec.title,
        summary=spec.summary,
        description=spec.description,
        attribution=spec.attribution,
        language=spec.language,
    )
    anchor = _moscow_midnight()
    stages = [
        ProjectStage(
            project=project,
            kind=kind,
            starts_at=anchor + timedelta(days=start),
            ends_at=anchor + timedelta(days=end),
        )
        for kind, (start, end) in spec.windows.items()
    ]
    ProjectStage.validate_calendar(stages)
    ProjectStage.objects.bulk_create(stages)
    Question.objects.create(project=project, title=spec.question, position=1)
    return project, True


def import_madrid(
    project: Project, data_dir: Path, progress: Progress
) -> list[Summary]:
    files = datasets.decide_madrid(data_dir)
    common = {
        "project_slug": project.slug,
        "attribution": MADRID_PROJECT.attribution,
        "language": "es",
        "source_label": "Decide Madrid",
        "source_timezone": "Europe/Madrid",
        "progress": progress,
    }
    return [
        import_consul(
            files["proposals_2015_2019"],
            comments_file=files["comments_2015_2019"],
            hierarchy_file=files["hierarchy_2015_2019"],
            **common,
        ),
        import_consul(files["proposals_2024_2025"], **common),
    ]


def import_bowling_green(
    project: Project, data_dir: Path, progress: Progress
) -> list[Summary]:
    return [
        import_polis(
            datasets.polis_bowling_green(data_dir),
            project_slug=project.slug,
            attribution=BOWLING_GREEN_PROJECT.attribution,
            language="en",
            progress=progress,
        )
    ]


def reset_demo_projects() -> int:
    """Delete every demo project and the participants imported into it.

    Imported participants are namespaced by project slug (see
    importers.base.imported_email), so only the demo's own pseudonyms go.
    """
    from .importers.base import IMPORTED_EMAIL_DOMAIN

    slugs = list(
        Project.objects.filter(slug__startswith="demo-").values_list("slug", flat=True)
    )
    with transaction.atomic():
        # Pages go through Wagtail's tree-aware delete; a cascade from the
        # project would leave the page tree's counters wrong.
        from cms.models import ProjectPage

        for page in ProjectPage.objects.filter(project__slug__in=slugs):
            page.delete()
        # Proposals go first: they protect their question, which the project
        # would otherwise try to delete from under them.
        Proposal.objects.filter(project__slug__in=slugs).delete()
        Project.objects.filter(slug__in=slugs).delete()
        for slug in slugs:
            for source in ("polis", "consul"):
                User.objects.filter(
                    is_pseudonymous=True,
                    email__startswith="%s-%s-" % (source, slug),
                    email__endswith="@" + IMPORTED_EMAIL_DOMAIN,
                ).delete()
    logger.info("Deleted %s demo projects", len(slugs))
    return len(slugs)


DEMO_CRITERIA = (
    ("Польза для жителей", "Сколько людей выиграет и насколько заметно.", 2),
    ("Реализуемость", "Можно ли сделать силами города за год-два.", 1),
    ("Стоимость", "Чем дешевле при той же пользе, тем выше оценка.", 1),
)
DEMO_EXPERTS = ("expert@demo.crowd", "expert2@demo.crowd", "expert3@demo.crowd")
DEMO_ASSIGNED_PROPOSALS = 12


def assign_demo_experts(project: Project) -> int:
    """Give the demo experts a queue on ``project`` and fill in some reviews.

    Twelve published proposals get two experts each, round robin, so every
    demo expert has eight assignments. The second and third experts submit
    their first reviews so that the project team's aggregate has figures;
    the first demo expert's queue stays untouched for the walkthrough.
    Safe to run again: assigned proposals are skipped.
    """
    from datetime import timedelta

    from django.utils import timezone

    from .models import ExpertAssignment, ProposalState, Recommendation
    from .services import reviews

    operator = User.objects.get(email="operator@demo.crowd")
    experts = [User.objects.get(email=email) for email in DEMO_EXPERTS]

    for name, description, weight in DEMO_CRITERIA:
        if not project.criteria.filter(name=name).exists():
            reviews.add_criterion(
                project,
                actor=operator,
                name=name,
                description=description,
                weight=weight,
                scale_min=1,
                scale_max=5,
            )

    due = timezone.localdate() + timedelta(days=7)
    proposals = list(
        project.proposals.filter(
            state__in=[ProposalState.PUBLISHED, ProposalState.UNDER_REVIEW]
        ).order_by("pk")[:DEMO_ASSIGNED_PROPOSALS]
    )
    created = 0
    for index, proposal in enumerate(proposals):
        for offset in (0, 1):
            expert = experts[(index + offset) % len(experts)]
            if ExpertAssignment.objects.filter(
                proposal=proposal, expert=expert
            ).exists():
                continue
            reviews.assign_expert(proposal, expert, actor=operator, due_date=due)
            created += 1

    criteria = list(project.criteria.order_by("position"))
    for expert in experts[1:]:
        for step, assignment in enumerate(
            ExpertAssignment.objects.filter(
                expert=expert, proposal__project=project
            ).order_by("pk")[:4]
        ):
            if hasattr(assignment, "review") and assignment.review.submitted_at:
                continue
            reviews.submit_review(
                assignment,
                reviews.ReviewInput(
                    scores={c.pk: 2 + (step + c.position) % 4 for c in criteria},
                    recommendation=Recommendation.SUPPORT
                    if step % 3
                    else Recommendation.REJECT,
                    justification="Оценка для демонстрации: предложение "
                    "понятно сформулировано, польза для района заметна.",
                    no_conflict_declared=True,
                ),
                actor=expert,
            )
    return created


# Finished participatory budgets from Pabulib, one of each ballot kind and
# rule the platform tallies: they become projects in their results stage.
DEMO_PABULIB_FILES = (
    ("poland_czestochowa_2024_bleszno.pb", "demo-pb-czestochowa"),
    (
        "poland_poznan_2025_10-swierczewo-wilda-zielony-debiec-large.pb",
        "demo-pb-poznan",
    ),
    ("us_stanford-dataset_pb-dieppe-2015_vote-rankings.pb", "demo-pb-dieppe-2015"),
    ("poland_wieliczka_2023_green-budget.pb", "demo-pb-wieliczka"),
    ("poland_warszawa_2023_wesola.pb", "demo-pb-warszawa-wesola"),
)

OPEN_BALLOT_PROJECT = "demo-budget-dvory"
OPEN_BALLOT_OPTIONS = (
    ("Детская площадка во дворе на Лесной улице", 1_800_000),
    ("Освещение пешеходной дорожки вдоль пруда", 950_000),
    ("Велопарковки у станции метро", 400_000),
    ("Сквер с лавочками и тенью у поликлиники", 2_600_000),
    ("Пандусы у подъездов домов 5 и 7", 700_000),
    ("Площадка для выгула собак", 1_200_000),
)


def load_pabulib_projects(data_dir) -> list[Project]:
    """Import the demo's Pabulib files; an imported file is not read twice."""
    from .services.pabulib import import_file

    projects = []
    for name, slug in DEMO_PABULIB_FILES:
        path = data_dir / "pabulib" / name
        if not path.exists():
            logger.warning("Demo Pabulib file %s is missing; skipped", path)
            continue
        result = import_file(path, project_slug=slug)
        projects.append(result.ballot.project)
    return projects


@transaction.atomic
def ensure_open_ballot() -> Project:
    """Build a small budget vote that is open now for the demo residents.

    Six selected proposals go on a budgeted approval ballot through the
    voting service while the voting stage is still ahead; then the stage
    calendar is moved so that voting is open now, as an operator would.
    """
    from datetime import timedelta

    from django.utils import timezone

    from .models import (
        Ballot,
        BallotKind,
        BallotRule,
        ProjectStage,
        ProposalState,
        Question,
        StageKind,
    )
    from .services.voting import add_proposal_option

    project = Project.objects.filter(slug=OPEN_BALLOT_PROJECT).first()
    if project is not None:
        return project

    operator = User.objects.get(email="operator@demo.crowd")
    author = User.objects.get(email="resident2@demo.crowd")
    department, _ = Department.objects.get_or_create(
        slug="demo-dept-improvement",
        defaults={"name": "Департамент благоустройства"},
    )
    project = Project.objects.create(
        department=department,
        slug=OPEN_BALLOT_PROJECT,
        title="Народный бюджет: дворы и скверы",
        summary="Выберите, на что потратить 5 млн рублей в вашем районе.",
        description="Эксперты отобрали шесть предложений жителей. Можно выбрать "
        "несколько, если их общая стоимость укладывается в бюджет.",
    )
    now = timezone.now()
    later = now + timedelta(days=1)
    for kind, start, end in (
        (StageKind.PROPOSALS, now - timedelta(days=60), now - timedelta(days=40)),
        (StageKind.EXPERT_SELECTION, now - timedelta(days=40), now - timedelta(days=5)),
        (StageKind.VOTING, later, later + timedelta(days=14)),
        (StageKind.RESULTS, later + timedelta(days=14), later + timedelta(days=400)),
    ):
        ProjectStage.objects.create(
            project=project, kind=kind, starts_at=start, ends_at=end
        )
    question = Question.objects.create(
        project=project, title="Что сделать в первую очередь?", position=1
    )
    ballot = Ballot.objects.create(
        project=project,
        title="Народный бюджет 2027",
        description="Выберите проекты на сумму не больше 5 000 000 ₽.",
        kind=BallotKind.BUDGETED,
        rule=BallotRule.GREEDY,
        min_choices=1,
        max_choices=len(OPEN_BALLOT_OPTIONS),
        budget=5_000_000,
    )
    for title, cost in OPEN_BALLOT_OPTIONS:
        proposal = Proposal.objects.create(
            project=project,
            question=question,
            author=author,
            title=title,
            body="Предложение жителей, отобранное экспертами для голосования. "
            "Смета подготовлена департаментом.",
            state=ProposalState.SELECTED,
            created_at=now - timedelta(days=50),
            published_at=now - timedelta(days=49),
        )
        add_proposal_option(operator, ballot, proposal, cost=cost)
    # Open the vote now that the options are fixed.
    project.stages.filter(kind=StageKind.VOTING).update(
        starts_at=now - timedelta(hours=1)
    )
    grant_demo_project_roles(project)
    return project
