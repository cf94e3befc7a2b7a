"""Ballots, their options, and how a vote is stored without naming the voter.

Secrecy design
--------------
A cast vote is split in two rows that share nothing but the ballot:

* ``BallotParticipation`` says *that* someone voted: the ballot, the voter
  (a user, or the pseudonymous key of an imported voter) and when. The
  database allows one row per voter per ballot, which is what makes "one
  resident, one vote" hold under parallel submissions.
* ``BallotPaper`` with its ``Vote`` rows says *what* was chosen. A paper has
  no voter, no timestamp and a random UUID key, so neither a foreign key, nor
  the order of ids, nor a time links it to a participation. The only bridge
  is the receipt: ``cast_ballot`` returns a random token that is shown to the
  voter once and kept in a cookie on their own device; the paper stores only
  a SHA-256 digest of it. Whoever holds the token (the voter) can open their
  paper; the server alone cannot say whose paper it is.

Results, exports and the admin read only aggregates (tally.py) or papers
without voters (the Pabulib export numbers voters 1..N in paper order).

Known shortcoming: whoever can run SQL on the live PostgreSQL server can
still pair the two rows: both are written by one transaction, so they carry
the same ``xmin`` (a plain join on it pairs every voter with a paper), and
their physical order (ctid, WAL) follows the order of casting. A dump
(pg_dump) keeps neither. They must stay in one transaction, or "one voter,
one paper" would no longer hold. Closing it needs papers collected and
written later in shuffled batches by another transaction (a mix), which
this platform does not do yet; until then database access is as sensitive
as the votes themselves.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .projects import StageKind


class BallotKind(models.TextChoices):
    CHOOSE_ONE = "choose_one", _("Выбор одного варианта")
    APPROVAL = "approval", _("Одобрение (несколько вариантов)")
    CUMULATIVE = "cumulative", _("Распределение баллов")
    RANKED = "ranked", _("Ранжирование")
    BUDGETED = "budgeted", _("Одобрение в пределах бюджета")


class BallotRule(models.TextChoices):
    MOST_VOTES = "most_votes", _("Больше всего голосов (баллов)")
    GREEDY = "greedy", _("По убыванию голосов в пределах бюджета (с пропуском)")
    GREEDY_STOP = (
        "greedy_stop",
        _("По убыванию голосов до первого не помещающегося в бюджет"),
    )
    EQUAL_SHARES = (
        "equal_shares",
        _("Метод равных долей (Method of Equal Shares) с дополнением add-one"),
    )


BUDGET_RULES = frozenset(
    {BallotRule.GREEDY, BallotRule.GREEDY_STOP, BallotRule.EQUAL_SHARES}
)


class Ballot(models.Model):
    """One vote of a project (or of one of its questions).

    The ballot is open exactly while its project's voting stage is open; the
    window lives in the stage calendar, not here, so there is one clock.

    Limits by kind: ``min_choices``/``max_choices`` bound the number of
    options named (approval, budgeted; ranked uses ``max_choices`` as k, the
    length of the ranking; choose one is 1..1); ``max_points`` (the points a
    voter spreads), ``min_points`` and ``max_points_per_option`` apply to
    cumulative ballots; ``budget`` is what the chosen total must fit
    (budgeted) and what the budget rules spend.
    """

    project = models.ForeignKey(
        "crowdsourcing.Project",
        verbose_name=_("проект"),
        on_delete=models.CASCADE,
        related_name="ballots",
    )
    question = models.ForeignKey(
        "crowdsourcing.Question",
        verbose_name=_("вопрос"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ballots",
    )
    title = models.CharField(_("название"), max_length=200)
    description = models.TextField(_("пояснение"), blank=True)
    kind = models.CharField(
        _("вид бюллетеня"), max_length=16, choices=BallotKind.choices
    )
    rule = models.CharField(
        _("правило подсчёта"),
        max_length=16,
        choices=BallotRule.choices,
        default=BallotRule.MOST_VOTES,
    )
    min_choices = models.PositiveIntegerField(_("минимум вариантов"), default=1)
    max_choices = models.PositiveIntegerField(
        _("максимум вариантов"),
        null=True,
        blank=True,
        help_text=_("Пусто — без ограничения. Для ранжирования — длина списка."),
    )
    max_points = models.PositiveIntegerField(
        _("баллов у участника"), null=True, blank=True
    )
    min_points = models.PositiveIntegerField(_("минимум баллов"), default=0)
    max_points_per_option = models.PositiveIntegerField(
        _("максимум баллов на вариант"), null=True, blank=True
    )
    budget = models.PositiveBigIntegerField(_("бюджет"), null=True, blank=True)
    currency = models.CharField(_("валюта"), max_length=8, default="RUB")
    winners = models.PositiveIntegerField(
        _("число победителей"),
        default=1,
        help_text=_("Для правила «больше всего голосов» без бюджета."),
    )
    requires_confirmed_district = models.BooleanField(
        _("только с подтверждённым районом"), default=False
    )
    district = models.ForeignKey(
        "crowdsourcing.District",
        verbose_name=_("район голосования"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ballots",
        help_text=_("Если задан, голосуют только жители этого района (округа)."),
    )
    source_meta = models.JSONField(
        _("метаданные источника"),
        default=dict,
        blank=True,
        help_text=_("Раздел META импортированного файла Pabulib."),
    )
    source_sha256 = models.CharField(
        _("контрольная сумма источника"), max_length=64, blank=True
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        verbose_name = _("бюллетень")
        verbose_name_plural = _("бюллетени")
        ordering = ["project", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True)
                | Q(max_choices__gte=F("min_choices")),
                name="ballot_choices_min_le_max",
            ),
            models.CheckConstraint(
                condition=~Q(kind="choose_one") | Q(min_choices=1, max_choices=1),
                name="ballot_choose_one_is_one",
            ),
            models.CheckConstraint(
                condition=~Q(kind="cumulative")
                | Q(max_points__gte=F("min_points"), max_points__gt=0),
                name="ballot_cumulative_has_points",
            ),
            models.CheckConstraint(
                condition=~Q(kind="ranked") | Q(max_choices__gt=0),
                name="ballot_ranked_has_length",
            ),
            models.CheckConstraint(
                condition=~Q(kind="budgeted") | Q(budget__gt=0),
                name="ballot_budgeted_has_budget",
            ),
            models.CheckConstraint(
                condition=~Q(rule__in=["greedy", "greedy_stop", "equal_shares"])
                | Q(budget__gt=0),
                name="ballot_budget_rule_has_budget",
            ),
            models.UniqueConstraint(
                fields=["source_sha256"],
                condition=~Q(source_sha256=""),
                name="ballot_unique_source",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crowdsourcing:ballot_detail", kwargs={"pk": self.pk})

    def clean(self):
        """Say in words what the table constraints refuse, field by field.

        The CheckConstraints in Meta stay the guarantee; these messages are
        what an editor in the admin reads instead of a constraint name.
        """
        errors: dict[str, str] = {}
        if self.question_id and self.question.project_id != self.project_id:
            errors["question"] = _("Вопрос должен относиться к проекту бюллетеня.")
        if self.kind == BallotKind.CHOOSE_ONE:
            # One choice is what the kind means; set it rather than refuse.
            self.min_choices, self.max_choices = 1, 1
        if self.max_choices is not None and self.max_choices < self.min_choices:
            errors["max_choices"] = _("Максимум вариантов меньше минимума.")
        if self.kind == BallotKind.RANKED and not self.max_choices:
            errors["max_choices"] = _(
                "Для ранжирования укажите, сколько мест в списке (максимум вариантов)."
            )
        if self.kind == BallotKind.CUMULATIVE:
            if not self.max_points:
                errors["max_points"] = _(
                    "Укажите, сколько баллов распределяет участник."
                )
            elif self.max_points < self.min_points:
                errors["min_points"] = _("Минимум баллов больше, чем их всего.")
        needs_budget = self.kind == BallotKind.BUDGETED or self.rule in BUDGET_RULES
        if needs_budget and not self.budget:
            errors["budget"] = _(
                "Для голосования в пределах бюджета и бюджетных правил подсчёта "
                "укажите бюджет больше нуля."
            )
        if self.pk is not None and not errors:
            errors.update(self._options_errors(needs_budget))
        if errors:
            raise ValidationError(errors, code="ballot_limits")

    def _options_errors(self, needs_budget: bool) -> dict[str, str]:
        """What an edit of a ballot with options would break in them.

        The voting service checks each option as it is added; an edit of the
        ballot afterwards must not undo that (a free option on a budgeted
        ballot, an option from the project the ballot just left).
        """
        options = self.options.all()
        errors: dict[str, str] = {}
        if (
            options.exclude(proposal__isnull=True)
            .exclude(proposal__project_id=self.project_id)
            .exists()
        ):
            errors["project"] = _(
                "В бюллетене есть варианты из другого проекта: сначала снимите их."
            )
        if needs_budget:
            if options.filter(cost=0).exists():
                errors["kind"] = _(
                    "У некоторых вариантов нет стоимости, а бюллетень будет "
                    "считаться в пределах бюджета: снимите их и добавьте снова "
                    "со стоимостью."
                )
            elif options.filter(cost__gt=self.budget).exists():
                errors["budget"] = _("Бюджет меньше стоимости одного из вариантов.")
        return errors

    def has_started(self, at=None) -> bool:
        """Return True once the vote opened or any paper exists.

        From then on the ballot's limits and options are fixed: every paper
        must be counted against the same ballot it was cast on.
        """
        return self.is_open(at) or self.is_closed(at) or self.papers.exists()

    @property
    def choice_limits(self) -> tuple[int, int | None]:
        """Return (min, max) options a paper may name."""
        if self.kind == BallotKind.CHOOSE_ONE:
            return 1, 1
        return self.min_choices, self.max_choices

    def is_open(self, at=None) -> bool:
        return self.project.is_stage_open(StageKind.VOTING, at)

    def is_closed(self, at=None) -> bool:
        """Return True once the voting window has ended (results may show)."""
        stage = self.project.stage_window(StageKind.VOTING)
        return stage is not None and (at or timezone.now()) >= stage.ends_at

    def rank_points(self, rank: int) -> int:
        """Return the score of rank ``rank`` (1-based) on a ranked ballot.

        A Borda count over the ballot's k places: first place k points, last
        place 1. This is the scoring of Pabulib's ordinal files.
        """
        return (self.max_choices or 0) - rank + 1


class BallotOption(models.Model):
    ballot = models.ForeignKey(
        Ballot,
        verbose_name=_("бюллетень"),
        on_delete=models.CASCADE,
        related_name="options",
    )
    proposal = models.ForeignKey(
        "crowdsourcing.Proposal",
        verbose_name=_("предложение"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ballot_options",
    )
    title = models.CharField(_("название"), max_length=500)
    summary = models.TextField(_("кратко"), blank=True)
    cost = models.PositiveBigIntegerField(_("стоимость"), default=0)
    external_id = models.CharField(
        _("внешний идентификатор"), max_length=64, blank=True
    )
    position = models.PositiveIntegerField(_("порядок"), default=0)

    class Meta:
        verbose_name = _("вариант бюллетеня")
        verbose_name_plural = _("варианты бюллетеня")
        ordering = ["ballot", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "external_id"],
                condition=~Q(external_id=""),
                name="ballot_option_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["ballot", "proposal"],
                condition=Q(proposal__isnull=False),
                name="ballot_option_unique_proposal",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        from .proposals import ProposalState

        if self.proposal_id is None:
            return
        if self.proposal.project_id != self.ballot.project_id:
            raise ValidationError(
                {"proposal": _("Предложение из другого проекта.")},
                code="proposal_project",
            )
        allowed = {
            ProposalState.SELECTED,
            ProposalState.ON_BALLOT,
            ProposalState.WINNER,
            ProposalState.NOT_WINNER,
        }
        if self.proposal.state not in allowed:
            raise ValidationError(
                {
                    "proposal": _(
                        "На голосование выносятся только отобранные предложения."
                    )
                },
                code="proposal_not_selected",
            )


class BallotParticipation(models.Model):
    """That a voter took part in a ballot; never what they chose.

    Web voters are users; voters imported from Pabulib have no account and
    are kept as their file's pseudonymous ``voter_key``.
    """

    ballot = models.ForeignKey(
        Ballot,
        verbose_name=_("бюллетень"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("участник"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ballot_participations",
    )
    voter_key = models.CharField(_("псевдоним участника"), max_length=64, blank=True)
    voted_at = models.DateTimeField(_("время голосования"), null=True, blank=True)

    class Meta:
        verbose_name = _("участие в голосовании")
        verbose_name_plural = _("участие в голосовании")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "voter"],
                condition=Q(voter__isnull=False),
                name="participation_one_per_voter",
            ),
            models.UniqueConstraint(
                fields=["ballot", "voter_key"],
                condition=~Q(voter_key=""),
                name="participation_one_per_voter_key",
            ),
            models.CheckConstraint(
                condition=(Q(voter__isnull=False) & Q(voter_key=""))
                | (Q(voter__isnull=True) & ~Q(voter_key="")),
                name="participation_user_xor_key",
            ),
        ]

    def __str__(self):
        return f"{self.ballot_id}: {self.voter_id or self.voter_key}"


def receipt_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BallotPaper(models.Model):
    """One cast ballot's contents, with no voter and no time (see module)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(
        Ballot,
        verbose_name=_("бюллетень"),
        on_delete=models.CASCADE,
        related_name="papers",
    )
    receipt_digest = models.CharField(
        _("отпечаток квитанции"), max_length=64, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("заполненный бюллетень")
        verbose_name_plural = _("заполненные бюллетени")

    def __str__(self):
        return str(self.ballot_id)


class Vote(models.Model):
    """One option named on a paper, with its points and (ranked) place.

    ``points`` is the option's score from this paper: 1 for choose one,
    approval and budgeted; the points given (cumulative); the Borda points of
    the place (ranked). Tallies are then one SUM for every kind.

    The key is a random UUID, like the paper's: sequential ids would number
    vote rows in the order people voted, which is the order of the
    participations, and so link a voter to their choices.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    paper = models.ForeignKey(
        BallotPaper,
        verbose_name=_("бюллетень"),
        on_delete=models.CASCADE,
        related_name="votes",
    )
    option = models.ForeignKey(
        BallotOption,
        verbose_name=_("вариант"),
        on_delete=models.CASCADE,
        related_name="votes",
        # Replaced by the (option, points) index below, which lets
        # PostgreSQL tally from the index alone.
        db_index=False,
    )
    points = models.PositiveIntegerField(_("баллы"), default=1)
    rank = models.PositiveSmallIntegerField(_("место"), null=True, blank=True)

    class Meta:
        verbose_name = _("голос")
        verbose_name_plural = _("голоса")
        indexes = [
            models.Index(fields=["option", "points"], name="vote_option_points"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "option"], name="vote_option_once_per_paper"
            ),
            models.UniqueConstraint(
                fields=["paper", "rank"],
                condition=Q(rank__isnull=False),
                name="vote_rank_once_per_paper",
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0), name="vote_points_positive"
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(rank__gt=0),
                name="vote_rank_positive",
            ),
        ]

    def __str__(self):
        return f"{self.option_id}: {self.points}"
