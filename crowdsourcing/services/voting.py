"""Cast a vote: one resident, one paper, checked and counted exactly once.

``cast_ballot`` is the only writer of participations, papers and votes for
web voters (imports go through services/pabulib.py). Every refusal raises a
``ServiceError`` subclass before anything is written, or rolls the whole
transaction back; the audit entry names the ballot and the voter but never
the choices (see models/ballots.py for how secrecy is kept).

Audit actions: ``crowd.ballot.cast``, ``crowd.ballot.option_add``.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from search.indexing import schedule_index

from .. import permissions
from ..models import (
    Ballot,
    BallotKind,
    BallotOption,
    BallotPaper,
    BallotParticipation,
    ProposalState,
    Vote,
)
from ..models.ballots import BUDGET_RULES, receipt_digest
from ..money import format_money
from . import PermissionDenied, ServiceError, StageClosed, audit
from .limits import check_rate

logger = logging.getLogger(__name__)


class AlreadyVoted(ServiceError):
    def __init__(self, message=None, code: str = "already_voted"):
        super().__init__(message or _("Вы уже проголосовали в этом голосовании."), code)


class InvalidBallot(ServiceError):
    def __init__(self, message, code: str = "invalid_ballot"):
        super().__init__(message, code)


SNAPSHOT_KEY = "crowd:ballot-snapshot:%s"
# Bounds how long a calendar or option edit can go unseen by voters if it
# races a cache fill (see ballot_snapshot); a plain edit is seen at once.
SNAPSHOT_SECONDS = 30


@dataclass
class BallotSnapshot:
    """A ballot as voting needs it: project, calendar, district, options."""

    ballot: Ballot
    options: list[BallotOption]


def ballot_snapshot(pk: int) -> BallotSnapshot | None:
    """Return ballot ``pk`` ready for voting, from the cache when it can.

    A vote reads the same rows every time (the ballot, its project and stage
    calendar, its options), and at the peak of a vote those reads were half
    of the database work of casting. The snapshot is cached for
    SNAPSHOT_SECONDS and dropped after every committed change to a ballot,
    its options, its project or the project's stages (crowdsourcing/
    receivers.py). The voting window itself is always compared with the
    clock of the request, never cached.

    Known gap: a reader that loaded the rows just before an edit committed
    can put the old snapshot back after the edit dropped it; the TTL bounds
    that to SNAPSHOT_SECONDS. Versioning the key by an ``updated_at`` column
    on the ballot would close it at the cost of one indexed read per vote.
    """
    key = SNAPSHOT_KEY % pk
    snapshot = cache.get(key)
    if snapshot is not None:
        return snapshot
    ballot = (
        Ballot.objects.select_related("project", "district")
        .prefetch_related("project__stages")
        .filter(pk=pk)
        .first()
    )
    if ballot is None:
        return None
    options = list(
        BallotOption.objects.filter(ballot=ballot)
        .select_related("proposal")
        .order_by("position", "pk")
    )
    snapshot = BallotSnapshot(ballot=ballot, options=options)
    cache.set(key, snapshot, timeout=SNAPSHOT_SECONDS)
    return snapshot


def forget_ballot_snapshots(
    *, ballot_ids: Sequence[int] = (), project_id: int | None = None
) -> None:
    """Drop cached snapshots once the current transaction commits.

    After the commit, not before: dropping earlier would let a request that
    reads the old rows in the meantime cache them again.
    """
    ids = set(ballot_ids)
    if project_id is not None:
        ids.update(
            Ballot.objects.filter(project_id=project_id).values_list("pk", flat=True)
        )
    if not ids:
        return
    keys = [SNAPSHOT_KEY % pk for pk in ids]
    transaction.on_commit(lambda: cache.delete_many(keys))


@dataclass(frozen=True)
class Receipt:
    """What the voter gets back; ``token`` is shown to them alone, once."""

    ballot_id: int
    token: str
    voted_at: datetime


@dataclass(frozen=True)
class Check:
    """The state of a partly filled ballot, for the live limit messages."""

    chosen: int
    min_choices: int
    max_choices: int | None
    points_used: int
    points_total: int | None
    cost: int
    budget: int | None
    errors: tuple[str, ...]

    @property
    def choices_left(self) -> int | None:
        if self.max_choices is None:
            return None
        return max(self.max_choices - self.chosen, 0)

    @property
    def points_left(self) -> int | None:
        if self.points_total is None:
            return None
        return self.points_total - self.points_used

    @property
    def budget_left(self) -> int | None:
        if self.budget is None:
            return None
        return self.budget - self.cost

    @property
    def over_budget(self) -> int:
        """How much the selection costs beyond the budget (0 when it fits)."""
        return max(-(self.budget_left or 0), 0)


def check_selection(
    ballot: Ballot,
    options: Sequence[BallotOption],
    selection: Sequence[int],
    points: Mapping[int, int] | None = None,
) -> Check:
    """Check ``selection`` (option ids, in rank order) against the limits.

    Returns every problem at once, so the page can show them all; an empty
    ``errors`` means the paper may be cast. ``options`` are the ballot's own
    options (a selection naming any other id is refused).
    """
    errors: list[str] = []
    by_id = {option.pk: option for option in options}
    low, high = ballot.choice_limits
    if len(set(selection)) != len(selection):
        errors.append(_("Один вариант выбран дважды."))
    foreign = [pk for pk in selection if pk not in by_id]
    if foreign:
        errors.append(_("В бюллетене нет выбранного варианта."))
    chosen = len(set(selection))
    cost = sum(by_id[pk].cost for pk in set(selection) if pk in by_id)
    used = 0
    total = None
    if ballot.kind == BallotKind.CUMULATIVE:
        points = points or {}
        total = ballot.max_points
        used = sum(points.get(pk, 0) for pk in set(selection))
        if any(points.get(pk, 0) <= 0 for pk in selection):
            errors.append(_("Каждому выбранному варианту нужно дать хотя бы 1 балл."))
        cap = ballot.max_points_per_option
        if cap and any(points.get(pk, 0) > cap for pk in selection):
            errors.append(
                _("Одному варианту можно дать не больше %(cap)s баллов.") % {"cap": cap}
            )
        if total is not None and used > total:
            errors.append(
                _("Распределено %(used)s баллов, а можно не больше %(total)s.")
                % {"used": used, "total": total}
            )
        if used < ballot.min_points:
            errors.append(
                _("Нужно распределить не меньше %(min)s баллов.")
                % {"min": ballot.min_points}
            )
    if chosen < low:
        errors.append(
            _("Выберите хотя бы %(min)s вариант(а).") % {"min": low}
            if low > 1
            else _("Выберите вариант.")
        )
    if high is not None and chosen > high:
        errors.append(
            _("Можно выбрать не больше %(max)s вариантов, выбрано %(n)s.")
            % {"max": high, "n": chosen}
        )
    budget = ballot.budget if ballot.kind == BallotKind.BUDGETED else None
    if budget is not None and cost > budget:
        errors.append(
            _("Выбранные проекты стоят %(cost)s, а бюджет — %(budget)s.")
            % {
                "cost": format_money(cost, ballot.currency),
                "budget": format_money(budget, ballot.currency),
            }
        )
    return Check(
        chosen=chosen,
        min_choices=low,
        max_choices=high,
        points_used=used,
        points_total=total,
        cost=cost,
        budget=budget,
        errors=tuple(errors),
    )


def check_voter(user, ballot: Ballot, at: datetime | None = None) -> None:
    """Refuse a voter who may not vote on ``ballot`` now (no rows read
    beyond the ballot's project calendar and the voter's own record)."""
    if not permissions.can_participate(user):
        raise PermissionDenied(
            _("Голосовать могут только жители с подтверждённым адресом e-mail.")
        )
    if not permissions.meets_ballot_district(user, ballot):
        raise PermissionDenied(
            _("В этом голосовании участвуют только жители с подтверждённым районом.")
            if ballot.district_id is None
            else _(
                "В этом голосовании участвуют только жители района «%(district)s» "
                "с подтверждённым районом."
            )
            % {"district": ballot.district}
        )
    at = at or timezone.now()
    if not ballot.is_open(at):
        if ballot.is_closed(at):
            raise StageClosed(_("Голосование завершено, голоса больше не принимаются."))
        raise StageClosed(_("Голосование ещё не началось."))


@transaction.atomic
def cast_ballot(
    user,
    ballot: Ballot,
    selection: Sequence[int],
    points: Mapping[int, int] | None = None,
    at: datetime | None = None,
    options: Sequence[BallotOption] | None = None,
) -> Receipt:
    """Record ``user``'s vote on ``ballot`` and return their receipt.

    ``selection`` lists option ids (in rank order for a ranked ballot);
    ``points`` gives the points per option on a cumulative ballot. The
    participation row is written first: a parallel second submission by the
    same voter waits on its unique index and then fails, so exactly one
    paper is stored. Locking: none beyond that index. ``options`` may hand
    in the ballot's options when the caller has read them already.
    """
    at = at or timezone.now()
    check_voter(user, ballot, at)
    check_rate(user, "vote")
    selection = [int(pk) for pk in selection]
    if options is None:
        options = list(BallotOption.objects.filter(ballot=ballot))
    check = check_selection(ballot, options, selection, points)
    if check.errors:
        raise InvalidBallot(" ".join(check.errors))
    token = secrets.token_urlsafe(24)
    paper = BallotPaper(
        id=uuid.uuid4(), ballot=ballot, receipt_digest=receipt_digest(token)
    )
    votes = _vote_rows(ballot, paper, selection, points)
    participation = BallotParticipation(ballot=ballot, voter=user, voted_at=at)
    entry = audit.unsaved_entry(
        BallotParticipation,
        "crowd.ballot.cast",
        user=user,
        data={"ballot": ballot.pk},
        label=str(participation),
    )
    # No "already voted?" query first: the unique index answers it, also for
    # a submission racing this one. No savepoint either: after the violation
    # nothing more runs here and the raise rolls the transaction back.
    if connection.vendor == "postgresql":
        _store_in_one_statement(participation, paper, votes, entry)
    else:
        _store_row_by_row(participation, paper, votes, entry)
    logger.info("Ballot %s: vote cast by user %s", ballot.pk, user.pk)
    return Receipt(ballot_id=ballot.pk, token=token, voted_at=at)


def _vote_rows(ballot, paper, selection, points) -> list[Vote]:
    rows = []
    for place, pk in enumerate(selection, start=1):
        if ballot.kind == BallotKind.CUMULATIVE:
            rows.append(Vote(paper=paper, option_id=pk, points=points[pk]))
        elif ballot.kind == BallotKind.RANKED:
            rank_points = ballot.rank_points(place)
            rows.append(Vote(paper=paper, option_id=pk, points=rank_points, rank=place))
        else:
            rows.append(Vote(paper=paper, option_id=pk, points=1))
    return rows


def _store_row_by_row(participation, paper, votes, entry) -> None:
    """The portable writer (SQLite): the participation first, then the rest."""
    try:
        participation.save(force_insert=True)
    except IntegrityError:
        raise AlreadyVoted() from None
    paper.save(force_insert=True)
    Vote.objects.bulk_create(votes)
    entry.object_id = str(participation.pk)
    # bulk_create, as audit.record does: ModelLogEntry.save() validates its
    # foreign keys with two more queries.
    type(entry).objects.bulk_create([entry])


def _store_in_one_statement(participation, paper, votes, entry) -> None:
    """Write participation, paper, votes and audit entry in one statement.

    PostgreSQL runs data-modifying CTEs as one statement: all four INSERTs
    succeed or none does, and a second paper of the same voter fails on the
    participation's unique index exactly as the row-by-row writer does. One
    round trip instead of four was a quarter of the web worker's time per
    vote under load (bench/vote_load.py). The column lists come from the
    models' own fields, values prepared by the fields themselves, so a
    schema change cannot silently skip a column. Foreign keys are checked
    at commit (Django creates them DEFERRABLE INITIALLY DEFERRED).
    """
    quote = connection.ops.quote_name
    params: list = []

    def values(instance, skip=()) -> tuple[str, str]:
        columns, marks = [], []
        for field in instance._meta.concrete_fields:
            if field is instance._meta.auto_field or field.attname in skip:
                continue
            columns.append(quote(field.column))
            marks.append("%s")
            value = field.pre_save(instance, add=True)
            params.append(field.get_db_prep_save(value, connection))
        return ", ".join(columns), ", ".join(marks)

    def table(model) -> str:
        return quote(model._meta.db_table)

    parts = []
    columns, marks = values(participation)
    parts.append(
        f"participation AS (INSERT INTO {table(BallotParticipation)} ({columns}) "
        f"VALUES ({marks}) RETURNING {quote(BallotParticipation._meta.pk.column)})"
    )
    columns, marks = values(paper)
    parts.append(
        f"paper AS (INSERT INTO {table(BallotPaper)} ({columns}) VALUES ({marks}))"
    )
    if votes:
        rows = [values(vote) for vote in votes]
        listed = ", ".join(f"({marks})" for _columns, marks in rows)
        parts.append(
            f"vote AS (INSERT INTO {table(Vote)} ({rows[0][0]}) VALUES {listed})"
        )
    columns, marks = values(entry, skip={"object_id"})
    object_id = quote(entry._meta.get_field("object_id").column)
    pk = quote(BallotParticipation._meta.pk.column)
    sql = (
        "WITH " + ", ".join(parts) + f" INSERT INTO {table(type(entry))} "
        f"({columns}, {object_id}) SELECT {marks}, {pk}::text FROM participation"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as error:
        constraint = getattr(
            getattr(error.__cause__, "diag", None), "constraint_name", ""
        )
        if constraint == "participation_one_per_voter":
            raise AlreadyVoted() from None
        raise


def find_paper(ballot: Ballot, token: str) -> BallotPaper | None:
    """Return the paper whose receipt token is ``token`` (the voter's own)."""
    if not token:
        return None
    return (
        BallotPaper.objects.filter(ballot=ballot, receipt_digest=receipt_digest(token))
        .prefetch_related("votes__option")
        .first()
    )


@transaction.atomic
def add_proposal_option(user, ballot: Ballot, proposal, cost: int = 0) -> BallotOption:
    """Put a selected proposal on ``ballot`` and move it to ``on_ballot``.

    Options are fixed once the vote has started: a paper cast against one
    list of options must be counted against the same list.
    """
    ballot = _ballot_for_change(user, ballot)
    if cost <= 0 and (
        ballot.kind == BallotKind.BUDGETED or ballot.rule in BUDGET_RULES
    ):
        raise InvalidBallot(
            _("Укажите стоимость: бюллетень считается в пределах бюджета."),
            "cost_required",
        )
    if ballot.budget and cost > ballot.budget:
        raise InvalidBallot(
            _("Стоимость %(cost)s больше всего бюджета (%(budget)s).")
            % {
                "cost": format_money(cost, ballot.currency),
                "budget": format_money(ballot.budget, ballot.currency),
            },
            "cost_over_budget",
        )
    option = BallotOption(
        ballot=ballot,
        proposal=proposal,
        title=proposal.title,
        summary=proposal.body[:300],
        cost=cost,
        position=ballot.options.count(),
    )
    try:
        option.full_clean()
    except ValidationError as error:
        raise InvalidBallot(" ".join(error.messages)) from None
    option.save()
    if proposal.state == ProposalState.SELECTED:
        _move(proposal, ProposalState.ON_BALLOT)
    audit.record(
        option, "crowd.ballot.option_add", user=user, data={"proposal": proposal.pk}
    )
    return option


@transaction.atomic
def remove_option(user, option: BallotOption) -> None:
    """Take ``option`` off its ballot before the vote opens.

    Its proposal goes back to ``selected`` so it can be put on this or
    another ballot again; the remaining options keep their order.
    """
    ballot = _ballot_for_change(user, option.ballot)
    _take_off(user, ballot, option)


def _take_off(user, ballot: Ballot, option: BallotOption) -> None:
    proposal = option.proposal
    pk, title = option.pk, option.title
    option.delete()
    if proposal is not None and proposal.state == ProposalState.ON_BALLOT:
        _move(proposal, ProposalState.SELECTED)
    audit.record(
        ballot,
        "crowd.ballot.option_remove",
        user=user,
        data={"option": pk, "title": title, "proposal": proposal and proposal.pk},
    )


@transaction.atomic
def delete_ballot(user, ballot: Ballot) -> None:
    """Delete a ballot that has not started, its proposals back to selected."""
    ballot = _ballot_for_change(user, ballot)
    for option in list(ballot.options.select_related("proposal")):
        _take_off(user, ballot, option)
    audit.record(ballot, "crowd.ballot.delete", user=user, data={"title": ballot.title})
    ballot.delete()


def _ballot_for_change(user, ballot: Ballot) -> Ballot:
    """Lock ``ballot`` and refuse a change by outsiders or after the start."""
    ballot = lock_ballot(ballot)
    if not permissions.can_manage_ballot(user, ballot):
        raise PermissionDenied(_("Изменять бюллетень может только команда проекта."))
    _refuse_if_started(ballot)
    return ballot


def lock_ballot(ballot: Ballot) -> Ballot:
    """Re-read ``ballot`` under a row lock, for a change to it or its options.

    Every writer of a ballot's settings or options takes this lock first, so
    an edit of the ballot (the admin form) and an option added at the same
    moment run one after the other, and each checks the other's result: a
    free option never lands on a ballot that has just become budgeted.
    """
    return (
        Ballot.objects.select_for_update()
        .select_related("project")
        .prefetch_related("project__stages")
        .get(pk=ballot.pk)
    )


def _move(proposal, state: str) -> None:
    """Move ``proposal`` to ``state``, save it and bring search in line."""
    proposal.transition_to(state)
    proposal.save(update_fields=["state", "updated_at"])
    schedule_index(proposal)


def _refuse_if_started(ballot: Ballot) -> None:
    if ballot.has_started():
        raise StageClosed(
            _("Варианты нельзя менять после начала голосования."), "ballot_started"
        )


def export_votes_of(user) -> list[dict]:
    """List the ballots ``user`` took part in, for their cabinet and export.

    What they chose is not here: choices sit on an anonymous paper that only
    the voter's receipt code opens (see BallotPaper), so the cabinet links to
    the receipt page instead of reading the paper itself.
    """
    participations = (
        BallotParticipation.objects.filter(voter=user)
        .select_related("ballot__project")
        .order_by("-voted_at", "-pk")
    )
    return [
        {
            "ballot_id": p.ballot_id,
            "ballot": p.ballot.title,
            "project": p.ballot.project.title,
            "voted_at": p.voted_at.isoformat() if p.voted_at else None,
            "receipt_url": reverse("crowdsourcing:ballot_receipt", args=[p.ballot_id]),
        }
        for p in participations
    ]


@dataclass
class BallotOutcome:
    winners: int = 0
    not_winners: int = 0


@transaction.atomic
def record_ballot_outcome(actor, ballot: Ballot) -> BallotOutcome:
    """Move the ballot's proposals to ``winner`` or ``not_winner`` by its rule.

    Runs once the vote has closed; the tally decides, and running it again
    changes nothing (proposals already moved are left alone). ``actor`` is
    the project team member who publishes the outcome, or None for an
    operator's shell command.
    """
    from ..models import Proposal
    from ..tally import closed_ballot_tally

    if actor is not None and not permissions.can_manage_ballot(actor, ballot):
        raise PermissionDenied(_("Итоги объявляет команда проекта."))
    if not ballot.is_closed():
        raise StageClosed(_("Голосование ещё не закончилось."), "ballot_open")
    tally = closed_ballot_tally(ballot)
    selected = {o.proposal_id for o in tally.options if o.selected and o.proposal_id}
    outcome = BallotOutcome()
    proposals = Proposal.objects.select_for_update().filter(
        pk__in=[o.proposal_id for o in tally.options if o.proposal_id],
        state=ProposalState.ON_BALLOT,
    )
    for proposal in proposals:
        won = proposal.pk in selected
        _move(proposal, ProposalState.WINNER if won else ProposalState.NOT_WINNER)
        audit.record(
            proposal,
            "crowd.ballot.outcome",
            user=actor,
            data={"ballot": ballot.pk, "winner": won},
        )
        if won:
            outcome.winners += 1
        else:
            outcome.not_winners += 1
    logger.info(
        "Ballot %s outcome: %s winners, %s not winners",
        ballot.pk,
        outcome.winners,
        outcome.not_winners,
    )
    return outcome
