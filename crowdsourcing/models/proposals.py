from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ProposalState(models.TextChoices):
    DRAFT = "draft", _("Черновик")
    SUBMITTED = "submitted", _("На модерации")
    PUBLISHED = "published", _("Опубликовано")
    REJECTED = "rejected", _("Отклонено")
    HIDDEN = "hidden", _("Скрыто модератором")
    MERGED = "merged", _("Объединено с другим")
    UNDER_REVIEW = "under_review", _("На экспертизе")
    SELECTED = "selected", _("Отобрано")
    NOT_SELECTED = "not_selected", _("Не отобрано")
    ON_BALLOT = "on_ballot", _("На голосовании")
    WINNER = "winner", _("Победитель")
    NOT_WINNER = "not_winner", _("Не победило")
    IN_PROGRESS = "in_progress", _("Реализуется")
    IMPLEMENTED = "implemented", _("Реализовано")
    DECLINED = "declined", _("Реализация отклонена")


S = ProposalState

# The only allowed moves (DESIGN.md section 2). Proposal.transition_to is the
# one place that enforces them.
PROPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.PUBLISHED, S.REJECTED}),
    S.PUBLISHED: frozenset({S.HIDDEN, S.MERGED, S.UNDER_REVIEW}),
    S.HIDDEN: frozenset({S.PUBLISHED}),
    S.UNDER_REVIEW: frozenset({S.SELECTED, S.NOT_SELECTED}),
    S.SELECTED: frozenset({S.ON_BALLOT}),
    # Back to selected only when staff take an option off the ballot before
    # the vote opens (services/voting.remove_option checks that).
    S.ON_BALLOT: frozenset({S.SELECTED, S.WINNER, S.NOT_WINNER}),
    S.WINNER: frozenset({S.IN_PROGRESS, S.DECLINED}),
    S.IN_PROGRESS: frozenset({S.IMPLEMENTED, S.DECLINED}),
    S.REJECTED: frozenset(),
    S.MERGED: frozenset(),
    S.NOT_SELECTED: frozenset(),
    S.NOT_WINNER: frozenset(),
    S.IMPLEMENTED: frozenset(),
    S.DECLINED: frozenset(),
}

# Visible to everyone. Merged proposals keep their page (it points to the
# proposal they joined) but leave the lists.
PUBLIC_STATES = frozenset(
    {
        S.PUBLISHED,
        S.MERGED,
        S.UNDER_REVIEW,
        S.SELECTED,
        S.NOT_SELECTED,
        S.ON_BALLOT,
        S.WINNER,
        S.NOT_WINNER,
        S.IN_PROGRESS,
        S.IMPLEMENTED,
        S.DECLINED,
    }
)
LISTED_STATES = PUBLIC_STATES - {S.MERGED}

# Sorted so that the SQL text is the same in every process: PostgreSQL uses
# the partial index below only when the query's IN list matches it.
PUBLIC_STATE_LIST = sorted(PUBLIC_STATES)
LISTED_STATE_LIST = sorted(LISTED_STATES)


class InvalidTransition(ValidationError):
    pass


class ProposalQuerySet(models.QuerySet):
    def public(self):
        """Proposals anyone may see, in projects that are published."""
        return self.filter(state__in=PUBLIC_STATE_LIST, project__is_published=True)

    def listed(self):
        return self.filter(state__in=LISTED_STATE_LIST, project__is_published=True)

    def with_counts(self):
        """Annotate support, opposition and visible comment counts from rows.

        Correlated subqueries rather than joins: PostgreSQL evaluates them
        only for the rows a page returns when the order does not need them,
        and two joined one-to-many tables would multiply each other's rows.
        """
        return self.annotate(
            support_count=_count_subquery(Rating, value=1),
            oppose_count=_count_subquery(Rating, value=-1),
            comment_count=_count_subquery(Comment, state=CommentState.VISIBLE),
        )


def recount_tallies(proposal_ids) -> int:
    """Set the ordering tallies of ``proposal_ids`` from their rows."""
    return Proposal.objects.filter(pk__in=proposal_ids).update(
        support_tally=_count_subquery(Rating, value=1),
        comment_tally=_count_subquery(Comment, state=CommentState.VISIBLE),
    )


def _count_subquery(model, **filters):
    rows = (
        model.objects.filter(proposal=OuterRef("pk"), **filters)
        .order_by()
        .values("proposal")
        # COUNT(*) lets PostgreSQL answer from the (proposal, value) and
        # (proposal, state) indexes without reading the table.
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


class Proposal(models.Model):
    project = models.ForeignKey(
        "crowdsourcing.Project",
        verbose_name=_("проект"),
        on_delete=models.CASCADE,
        related_name="proposals",
    )
    question = models.ForeignKey(
        "crowdsourcing.Question",
        verbose_name=_("вопрос"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("автор"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    title = models.CharField(
        _("заголовок"),
        max_length=150,
        validators=[
            MinLengthValidator(
                10,
                _(
                    "Заголовок слишком короткий: нужно не меньше %(limit_value)d "
                    "символов (сейчас %(show_value)d)."
                ),
            )
        ],
    )
    body = models.TextField(
        _("текст"),
        max_length=5000,
        validators=[
            MinLengthValidator(
                50,
                _(
                    "Опишите предложение подробнее: нужно не меньше "
                    "%(limit_value)d символов (сейчас %(show_value)d)."
                ),
            ),
            MaxLengthValidator(
                5000,
                _(
                    "Текст слишком длинный: не больше %(limit_value)d символов "
                    "(сейчас %(show_value)d)."
                ),
            ),
        ],
    )
    category = models.ForeignKey(
        "crowdsourcing.Category",
        verbose_name=_("категория"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    district = models.ForeignKey(
        "crowdsourcing.District",
        verbose_name=_("район"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    state = models.CharField(
        _("состояние"),
        max_length=20,
        choices=ProposalState.choices,
        default=ProposalState.DRAFT,
        db_index=True,
    )
    language = models.CharField(_("язык"), max_length=8, default="ru")
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("объединено с"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    external_id = models.CharField(
        _("внешний идентификатор"),
        max_length=64,
        blank=True,
        help_text=_(
            "Идентификатор в исходной системе, если предложение импортировано."
        ),
    )
    created_at = models.DateTimeField(_("создано"), db_index=True)
    submitted_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    published_at = models.DateTimeField(_("опубликовано"), null=True, blank=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)
    # Only for ordering lists by support or discussion through an index:
    # what people read is always counted from rows (with_counts). Services
    # recount these from rows, under a row lock, whenever a rating or a
    # comment's visibility changes; `manage.py recount_proposals` recounts
    # them all after a bulk import.
    support_tally = models.IntegerField(_("поддержка (для сортировки)"), default=0)
    comment_tally = models.IntegerField(_("комментарии (для сортировки)"), default=0)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("предложение")
        verbose_name_plural = _("предложения")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("review_proposal", _("Оценивает предложение как эксперт")),
        ]
        indexes = [
            models.Index(fields=["project", "state", "-created_at"]),
            # The public list of a project, newest first (the default sort).
            models.Index(
                fields=["project", "-created_at", "-id"],
                condition=Q(state__in=LISTED_STATE_LIST),
                name="proposal_listed_recent",
            ),
            models.Index(
                fields=["project", "-support_tally", "-created_at", "-id"],
                condition=Q(state__in=LISTED_STATE_LIST),
                name="proposal_listed_supported",
            ),
            models.Index(
                fields=["project", "-comment_tally", "-created_at", "-id"],
                condition=Q(state__in=LISTED_STATE_LIST),
                name="proposal_listed_discussed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=ProposalState.MERGED, merged_into__isnull=False)
                | (~Q(state=ProposalState.MERGED) & Q(merged_into__isnull=True)),
                name="proposal_merged_has_target",
            ),
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=~Q(external_id=""),
                name="proposal_unique_external_id",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crowdsourcing:proposal_detail", kwargs={"pk": self.pk})

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    def can_transition_to(self, state: str) -> bool:
        return state in PROPOSAL_TRANSITIONS[self.state]

    def transition_to(self, state: str) -> None:
        """Move to ``state`` if DESIGN.md allows it; the caller saves."""
        if not self.can_transition_to(state):
            raise InvalidTransition(
                _("Нельзя перевести предложение из «%(old)s» в «%(new)s»."),
                code="invalid_transition",
                params={
                    "old": ProposalState(self.state).label,
                    "new": ProposalState(state).label,
                },
            )
        self.state = state


class CommentState(models.TextChoices):
    VISIBLE = "visible", _("Виден")
    PENDING_REVIEW = "pending_review", _("Скрыт по жалобам, ждёт модератора")
    HIDDEN = "hidden", _("Скрыт модератором")


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(state=CommentState.VISIBLE)


class Comment(models.Model):
    """A post-moderated remark on a proposal, threaded by ``parent``."""

    MAX_DEPTH = 4

    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("предложение"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("автор"),
        on_delete=models.PROTECT,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("ответ на"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    depth = models.PositiveSmallIntegerField(_("уровень"), default=0)
    body = models.TextField(_("текст"), max_length=3000)
    state = models.CharField(
        _("состояние"),
        max_length=20,
        choices=CommentState.choices,
        default=CommentState.VISIBLE,
        db_index=True,
    )
    external_id = models.CharField(
        _("внешний идентификатор"), max_length=64, blank=True
    )
    created_at = models.DateTimeField(_("создан"), db_index=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("комментарий")
        verbose_name_plural = _("комментарии")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["proposal", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(depth__lte=4), name="comment_depth_limit"
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, depth=0)
                | Q(parent__isnull=False, depth__gt=0),
                name="comment_depth_matches_parent",
            ),
            models.UniqueConstraint(
                fields=["proposal", "external_id"],
                condition=~Q(external_id=""),
                name="comment_unique_external_id",
            ),
        ]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return f"{self.proposal.get_absolute_url()}#comment-{self.pk}"


class Rating(models.Model):
    """A resident's +1 (support) or -1 on a published proposal."""

    class Value(models.IntegerChoices):
        SUPPORT = 1, _("Поддерживаю")
        OPPOSE = -1, _("Не поддерживаю")

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="ratings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    value = models.SmallIntegerField(_("оценка"), choices=Value.choices)
    created_at = models.DateTimeField(_("поставлена"))

    class Meta:
        verbose_name = _("оценка")
        verbose_name_plural = _("оценки")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "user"], name="rating_one_per_resident"
            ),
            models.CheckConstraint(
                condition=Q(value__in=[1, -1]), name="rating_value_plus_minus_one"
            ),
        ]
        indexes = [models.Index(fields=["proposal", "value"])]

    def __str__(self):
        return f"{self.value:+d} #{self.proposal_id}"


class Flag(models.Model):
    """A resident's report about a comment or a proposal."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Спам или реклама")
        OFFENSIVE = "offensive", _("Оскорбления")
        OFF_TOPIC = "off_topic", _("Не по теме")
        PERSONAL_DATA = "personal_data", _("Персональные данные")
        ILLEGAL = "illegal", _("Нарушает закон")
        OTHER = "other", _("Другое")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(_("причина"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("пояснение"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("подана"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("рассмотрена"), null=True, blank=True)

    class Meta:
        verbose_name = _("жалоба")
        verbose_name_plural = _("жалобы")
        constraints = [
            models.CheckConstraint(
                condition=Q(comment__isnull=False, proposal__isnull=True)
                | Q(comment__isnull=True, proposal__isnull=False),
                name="flag_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "comment"],
                condition=Q(comment__isnull=False),
                name="flag_once_per_comment",
            ),
            models.UniqueConstraint(
                fields=["user", "proposal"],
                condition=Q(proposal__isnull=False),
                name="flag_once_per_proposal",
            ),
        ]

    def __str__(self):
        return self.get_reason_display()


class ModerationReason(models.Model):
    """The catalogue of reasons a moderator picks from (DESIGN.md section 6)."""

    code = models.SlugField(_("код"), max_length=40, unique=True)
    title = models.CharField(_("причина"), max_length=200)
    explanation = models.TextField(
        _("пояснение для автора"),
        blank=True,
        help_text=_("Этот текст получит автор в письме о решении."),
    )
    is_active = models.BooleanField(_("используется"), default=True)

    class Meta:
        verbose_name = _("причина модерации")
        verbose_name_plural = _("причины модерации")
        ordering = ["title"]

    def __str__(self):
        return self.title


class ModerationAction(models.TextChoices):
    PUBLISH = "publish", _("Опубликовать")
    REJECT = "reject", _("Отклонить")
    HIDE = "hide", _("Скрыть")
    RESTORE = "restore", _("Вернуть")
    MERGE = "merge", _("Объединить")


class ModerationDecision(models.Model):
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("модератор"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="moderation_decisions",
    )
    proposal = models.ForeignKey(
        Proposal,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="moderation_decisions",
    )
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="moderation_decisions",
    )
    action = models.CharField(
        _("решение"), max_length=16, choices=ModerationAction.choices
    )
    reason = models.ForeignKey(
        ModerationReason,
        verbose_name=_("причина"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    note = models.TextField(_("комментарий модератора"), blank=True)
    created_at = models.DateTimeField(_("время"), auto_now_add=True)

    class Meta:
        verbose_name = _("решение модератора")
        verbose_name_plural = _("решения модераторов")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(comment__isnull=False, proposal__isnull=True)
                | Q(comment__isnull=True, proposal__isnull=False),
                name="decision_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(action__in=["reject", "hide"]) | Q(reason__isnull=False),
                name="decision_reject_hide_need_reason",
            ),
        ]

    def __str__(self):
        return self.get_action_display()
