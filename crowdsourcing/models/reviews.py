"""Expert selection: criteria, assignments, reviews and selection decisions.

DESIGN.md section 4. Who may do what is answered in permissions.py; every
change goes through crowdsourcing/services/reviews.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Criterion(models.Model):
    """One scored aspect of a proposal, per project, with a weight and scale.

    A score is an integer from ``scale_min`` to ``scale_max``. The aggregate
    normalises each score to 0..1 by the criterion's own scale before the
    weights apply, so a 1..5 and a 0..10 criterion can be combined.
    """

    project = models.ForeignKey(
        "crowdsourcing.Project",
        verbose_name=_("проект"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    name = models.CharField(_("название"), max_length=150)
    description = models.TextField(_("что оценивается"), blank=True)
    weight = models.DecimalField(_("вес"), max_digits=6, decimal_places=2, default=1)
    scale_min = models.SmallIntegerField(_("минимальная оценка"), default=1)
    scale_max = models.SmallIntegerField(_("максимальная оценка"), default=5)
    position = models.PositiveIntegerField(_("порядок"), default=0)

    class Meta:
        verbose_name = _("критерий оценки")
        verbose_name_plural = _("критерии оценки")
        ordering = ["project", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="criterion_unique_name_in_project",
                violation_error_message=_("В проекте уже есть такой критерий."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0),
                name="criterion_weight_positive",
                violation_error_message=_("Вес должен быть больше нуля."),
            ),
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")),
                name="criterion_scale_not_empty",
                violation_error_message=_(
                    "Максимальная оценка должна быть больше минимальной."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def normalise(self, value: int) -> float:
        """Map a score on this criterion's scale to 0..1."""
        return (value - self.scale_min) / (self.scale_max - self.scale_min)


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("Назначено")
    IN_PROGRESS = "in_progress", _("В работе")
    SUBMITTED = "submitted", _("Отзыв отправлен")
    CONFLICT = "conflict", _("Возвращено: конфликт интересов")


# Assignments an expert still has to finish; they count towards the load.
OPEN_ASSIGNMENT_STATES = frozenset(
    {AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS}
)
# Assignments that still hold the expert's access to the proposal.
ACTIVE_ASSIGNMENT_STATES = OPEN_ASSIGNMENT_STATES | {AssignmentState.SUBMITTED}


class ExpertAssignmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_ASSIGNMENT_STATES)

    def active(self):
        return self.filter(state__in=ACTIVE_ASSIGNMENT_STATES)


class ExpertAssignment(models.Model):
    """A proposal given to one expert (or staff member) to review.

    The row is the business fact; the django-guardian permission
    ``review_proposal`` on the proposal is what opens the door, and the
    services keep the two in step inside one transaction. A declared
    conflict keeps the row (state ``conflict``) so the same person is not
    assigned the proposal again by mistake: the unique constraint refuses it.
    """

    proposal = models.ForeignKey(
        "crowdsourcing.Proposal",
        verbose_name=_("предложение"),
        on_delete=models.CASCADE,
        related_name="expert_assignments",
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("эксперт"),
        on_delete=models.CASCADE,
        related_name="expert_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("назначил"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(
        _("срок"), help_text=_("Последний день (по московскому времени).")
    )
    state = models.CharField(
        _("состояние"),
        max_length=16,
        choices=AssignmentState.choices,
        default=AssignmentState.ASSIGNED,
        db_index=True,
    )
    conflict_note = models.TextField(_("конфликт интересов"), blank=True)
    created_at = models.DateTimeField(_("назначено"), auto_now_add=True)
    reminded_at = models.DateTimeField(
        _("напоминание отправлено"), null=True, blank=True
    )

    objects = ExpertAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("назначение эксперта")
        verbose_name_plural = _("назначения экспертов")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["expert", "state", "due_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "expert"], name="assignment_one_per_expert"
            ),
            models.CheckConstraint(
                condition=~Q(state=AssignmentState.CONFLICT) | ~Q(conflict_note=""),
                name="assignment_conflict_has_note",
            ),
        ]

    def __str__(self):
        return f"#{self.proposal_id} → {self.expert_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ASSIGNMENT_STATES


class Recommendation(models.TextChoices):
    SUPPORT = "support", _("Поддержать")
    REJECT = "reject", _("Отклонить")
    MERGE = "merge", _("Объединить с другим предложением")


class Review(models.Model):
    """The one review of an assignment: scores, recommendation, statement.

    A draft may be incomplete; ``submitted_at`` marks the single submission,
    after which nothing changes. The database refuses a submitted review
    without a recommendation, a justification or the no-conflict statement.
    """

    assignment = models.OneToOneField(
        ExpertAssignment,
        verbose_name=_("назначение"),
        on_delete=models.CASCADE,
        related_name="review",
    )
    recommendation = models.CharField(
        _("рекомендация"), max_length=16, choices=Recommendation.choices, blank=True
    )
    merge_with = models.ForeignKey(
        "crowdsourcing.Proposal",
        verbose_name=_("объединить с"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    justification = models.TextField(_("обоснование"), max_length=5000, blank=True)
    no_conflict_declared = models.BooleanField(
        _("конфликта интересов нет"),
        default=False,
        help_text=_(
            "Подтверждаю, что не связан с автором предложения и не имею "
            "личной заинтересованности в решении."
        ),
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)
    submitted_at = models.DateTimeField(_("отправлен"), null=True, blank=True)

    class Meta:
        verbose_name = _("экспертный отзыв")
        verbose_name_plural = _("экспертные отзывы")
        constraints = [
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True)
                | (
                    ~Q(recommendation="")
                    & ~Q(justification="")
                    & Q(no_conflict_declared=True)
                ),
                name="review_submitted_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(
                    recommendation=Recommendation.MERGE, merge_with__isnull=False
                )
                | (
                    ~Q(recommendation=Recommendation.MERGE) & Q(merge_with__isnull=True)
                ),
                name="review_merge_has_target",
            ),
        ]

    def __str__(self):
        return f"review of {self.assignment}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class ReviewScore(models.Model):
    """A score for one criterion in one review.

    The criterion's scale is copied onto the row so that a CHECK constraint
    can keep the value inside it; the services forbid changing a scale once
    any score uses it (services.reviews.update_criterion). A trigger that
    compares with the criterion row would close the last gap (a scale edited
    by raw SQL), at the price of hand-written SQL per database.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores"
    )
    value = models.SmallIntegerField(_("оценка"))
    scale_min = models.SmallIntegerField()
    scale_max = models.SmallIntegerField()

    class Meta:
        verbose_name = _("оценка по критерию")
        verbose_name_plural = _("оценки по критериям")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="score_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=F("scale_min")) & Q(value__lte=F("scale_max")),
                name="score_within_scale",
            ),
        ]

    def __str__(self):
        return f"{self.criterion_id}: {self.value}"


class SelectionOutcome(models.TextChoices):
    SELECTED = "selected", _("Отобрано")
    NOT_SELECTED = "not_selected", _("Не отобрано")


class SelectionDecision(models.Model):
    """The project team's decision on a reviewed proposal, with a reason.

    The reason is public: residents read it on the proposal page. One
    decision per proposal, as the move out of ``under_review`` is one way.
    """

    proposal = models.OneToOneField(
        "crowdsourcing.Proposal",
        verbose_name=_("предложение"),
        on_delete=models.CASCADE,
        related_name="selection_decision",
    )
    outcome = models.CharField(
        _("решение"), max_length=16, choices=SelectionOutcome.choices
    )
    reason = models.TextField(_("обоснование для жителей"), max_length=3000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("принял решение"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("время решения"))

    class Meta:
        verbose_name = _("решение об отборе")
        verbose_name_plural = _("решения об отборе")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="selection_decision_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=SelectionOutcome.values),
                name="selection_decision_known_outcome",
            ),
        ]

    def __str__(self):
        return self.get_outcome_display()


class ProposalUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's per-user rights on a proposal, with a real FK.

    A direct foreign key instead of guardian's generic table lets the
    database join and index the expert's rights (guardian's performance
    guide); guardian finds this model by itself for every Proposal check.
    """

    content_object = models.ForeignKey(
        "crowdsourcing.Proposal", on_delete=models.CASCADE
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("право пользователя на предложение")
        verbose_name_plural = _("права пользователей на предложения")


class ProposalGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "crowdsourcing.Proposal", on_delete=models.CASCADE
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("право группы на предложение")
        verbose_name_plural = _("права групп на предложения")
