from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel


class Department(models.Model):
    """A city department (executive body) that owns projects."""

    name = models.CharField(_("название"), max_length=200, unique=True)
    slug = models.SlugField(_("адрес"), max_length=80, unique=True)
    description = models.TextField(_("описание"), blank=True)

    class Meta:
        verbose_name = _("ведомство")
        verbose_name_plural = _("ведомства")
        ordering = ["name"]
        permissions = [
            ("work_for_department", _("Сотрудник ведомства")),
        ]

    def __str__(self):
        return self.name


class District(models.Model):
    """An administrative unit: an okrug, or a district inside one.

    Loaded from fixtures/moscow_districts.json and editable by the operator:
    cities redraw such lists.
    """

    class Kind(models.TextChoices):
        OKRUG = "okrug", _("административный округ")
        DISTRICT = "district", _("район")
        SETTLEMENT = "settlement", _("поселение")

    name = models.CharField(_("название"), max_length=120)
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices)
    abbreviation = models.CharField(_("сокращение"), max_length=16, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("округ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("район")
        verbose_name_plural = _("районы")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="district_unique_name_in_parent"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="district_unique_top_level_name",
            ),
        ]

    def __str__(self):
        return self.name


class Category(models.Model):
    name = models.CharField(_("название"), max_length=120, unique=True)
    slug = models.SlugField(_("адрес"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("категория")
        verbose_name_plural = _("категории")
        ordering = ["name"]

    def __str__(self):
        return self.name


class StageKind(models.TextChoices):
    """The stages of a project, in their order (DESIGN.md section 2)."""

    ANNOUNCEMENT = "announcement", _("Анонс")
    PROPOSALS = "proposals", _("Подача предложений")
    DISCUSSION = "discussion", _("Обсуждение")
    EXPERT_SELECTION = "expert_selection", _("Экспертный отбор")
    VOTING = "voting", _("Голосование")
    RESULTS = "results", _("Итоги")

    @classmethod
    def order(cls, kind: str) -> int:
        return list(cls.values).index(kind)


class ProjectQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_published=True)

    def for_department(self, department):
        return self.filter(department=department)


class Project(ClusterableModel):
    """A crowdsourcing project: a department's questions to residents.

    The current stage is derived from the stage calendar and the clock; it is
    never stored.
    """

    department = models.ForeignKey(
        Department,
        verbose_name=_("ведомство"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    title = models.CharField(_("название"), max_length=200)
    slug = models.SlugField(_("адрес"), max_length=100, unique=True)
    summary = models.CharField(_("кратко"), max_length=300, blank=True)
    description = models.TextField(_("описание"), blank=True)
    rules = models.TextField(_("правила"), blank=True)
    attribution = models.TextField(
        _("источник данных"),
        blank=True,
        help_text=_("Откуда взяты данные проекта и на каких условиях."),
    )
    language = models.CharField(
        _("язык содержимого"),
        max_length=8,
        default="ru",
        help_text=_("Код языка, на котором пишут участники (ru, es, en, pl, fr)."),
    )
    is_published = models.BooleanField(_("опубликован"), default=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("проект")
        verbose_name_plural = _("проекты")
        ordering = ["-created_at"]
        permissions = [
            ("moderate_project", _("Модерирует проект")),
            ("manage_project", _("Ведёт проект от ведомства")),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crowdsourcing:project_detail", kwargs={"slug": self.slug})

    def stage_window(self, kind: str) -> ProjectStage | None:
        for stage in self.stages.all():
            if stage.kind == kind:
                return stage
        return None

    def is_stage_open(self, kind: str, at: datetime | None = None) -> bool:
        stage = self.stage_window(kind)
        return stage is not None and stage.contains(at or timezone.now())

    def open_stages(self, at: datetime | None = None) -> list[ProjectStage]:
        at = at or timezone.now()
        return [stage for stage in self.stages.all() if stage.contains(at)]

    def current_stage(self, at: datetime | None = None) -> ProjectStage | None:
        """Return the latest stage that has started, by stage order.

        Stages may overlap (discussion runs beside proposals); the later one
        is the one residents are told about. Between two windows the project
        stays in the last stage that started.
        """
        at = at or timezone.now()
        started = [stage for stage in self.stages.all() if stage.starts_at <= at]
        if not started:
            return None
        return max(started, key=lambda s: (StageKind.order(s.kind), s.starts_at))

    def is_finished(self, at: datetime | None = None) -> bool:
        stage = self.current_stage(at)
        return stage is not None and stage.kind == StageKind.RESULTS


class ProjectStage(models.Model):
    """One window of the stage calendar: [starts_at, ends_at).

    The end is exclusive: a stage that closes at the end of 10 December in
    Moscow has ends_at = 11 December 00:00 MSK, so 23:59:59 still counts and
    midnight does not.
    """

    # A ParentalKey so the admin edits the calendar inline with its project.
    project = ParentalKey(
        Project,
        verbose_name=_("проект"),
        on_delete=models.CASCADE,
        related_name="stages",
    )
    kind = models.CharField(_("этап"), max_length=20, choices=StageKind.choices)
    starts_at = models.DateTimeField(_("начало"))
    ends_at = models.DateTimeField(
        _("окончание"), help_text=_("Момент окончания (не включается в этап).")
    )

    class Meta:
        verbose_name = _("этап проекта")
        verbose_name_plural = _("этапы проекта")
        ordering = ["project", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"], name="stage_one_window_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="stage_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.project}: {self.get_kind_display()}"

    def contains(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    @property
    def last_moment(self) -> datetime:
        """The last second inside the window, for people to read.

        "Until 10 December 23:59" says what "until 11 December 00:00
        exclusive" means without making anyone think about the boundary.
        """
        return self.ends_at - timedelta(seconds=1)

    @staticmethod
    def validate_calendar(stages: list[ProjectStage]) -> None:
        """Refuse a calendar whose stages start out of their order.

        This spans several rows, which a CHECK constraint cannot see; the
        per-row rules (end after start, one window per kind) are in the
        database. A PostgreSQL trigger would close the gap if stages are ever
        written outside the admin and the services.
        """
        ordered = sorted(stages, key=lambda s: StageKind.order(s.kind))
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if later.starts_at < earlier.starts_at:
                raise ValidationError(
                    _("Этап «%(later)s» не может начаться раньше этапа «%(earlier)s»."),
                    code="stage_order",
                    params={
                        "later": later.get_kind_display(),
                        "earlier": earlier.get_kind_display(),
                    },
                )


class Question(models.Model):
    project = models.ForeignKey(
        Project,
        verbose_name=_("проект"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    title = models.CharField(_("вопрос"), max_length=300)
    description = models.TextField(_("пояснение"), blank=True)
    position = models.PositiveIntegerField(_("порядок"), default=0)

    class Meta:
        verbose_name = _("вопрос")
        verbose_name_plural = _("вопросы")
        ordering = ["project", "position", "pk"]

    def __str__(self):
        return self.title
