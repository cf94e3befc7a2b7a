"""Residents' writes to proposals: drafts, submission, ratings.

Audit actions written here: ``crowd.proposal.create``,
``crowd.proposal.edit``, ``crowd.proposal.submit``, ``crowd.rating.set``,
``crowd.rating.withdraw``. Moderators' decisions are in moderation.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from search.indexing import schedule_index

from .. import permissions
from ..models import (
    Category,
    District,
    Project,
    Proposal,
    ProposalState,
    Question,
    Rating,
    StageKind,
)
from ..models.proposals import recount_tallies
from . import PermissionDenied, ServiceError, StageClosed
from .audit import record
from .limits import check_rate

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("question", "title", "body", "category", "district")


def _require_participant(user) -> None:
    if not permissions.is_resident(user):
        raise PermissionDenied(_("Войдите, чтобы принять участие."))
    if not permissions.can_participate(user):
        raise PermissionDenied(
            _("Подтвердите адрес электронной почты, чтобы принять участие.")
        )


def _require_stage(project: Project, kind: str, at: datetime) -> None:
    if not permissions.is_stage_open(project, kind, at):
        raise StageClosed(
            _("Этап «%(stage)s» сейчас закрыт: действие недоступно.")
            % {"stage": StageKind(kind).label}
        )


def recount(*proposal_ids: int) -> None:
    """Lock the proposals, then recount their ordering tallies from rows.

    The lock comes first and in a statement of its own: under READ
    COMMITTED the recount's snapshot then includes every rating or comment
    committed by a transaction that held the lock before, so parallel
    writers cannot leave a tally short.
    """
    ids = sorted(set(proposal_ids))
    list(
        Proposal.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    recount_tallies(ids)


def _validate(proposal: Proposal) -> None:
    """Run the model's field rules; they carry the Russian messages."""
    if proposal.question.project_id != proposal.project_id:
        raise ValidationError(
            {"question": _("Выберите вопрос этого проекта.")}, code="foreign_question"
        )
    proposal.full_clean(exclude=["author", "project", "created_at"])


@transaction.atomic
def create_proposal(
    author,
    project: Project,
    *,
    question: Question,
    title: str,
    body: str,
    category: Category | None = None,
    district: District | None = None,
    submit: bool = False,
    at: datetime | None = None,
) -> Proposal:
    """Create a draft (and submit it at once when ``submit``).

    Drafts are allowed only while the proposals stage is open too: a draft
    that could never be sent would only mislead.
    """
    at = at or timezone.now()
    _require_participant(author)
    _require_stage(project, StageKind.PROPOSALS, at)
    check_rate(author, "proposal")
    proposal = Proposal(
        project=project,
        question=question,
        author=author,
        title=title.strip(),
        body=body.strip(),
        category=category,
        district=district,
        state=ProposalState.DRAFT,
        created_at=at,
    )
    _validate(proposal)
    proposal.save()
    record(proposal, "crowd.proposal.create", user=author)
    logger.info("Proposal %s drafted by user %s", proposal.pk, author.pk)
    if submit:
        _submit(author, proposal, at)
    return proposal


@transaction.atomic
def update_draft(author, proposal: Proposal, **changes) -> Proposal:
    """Change the fields of the author's own draft."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not permissions.can_edit_proposal(author, proposal):
        raise PermissionDenied(_("Изменять можно только свой черновик."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(proposal, name, value.strip() if isinstance(value, str) else value)
    _validate(proposal)
    proposal.save()
    record(proposal, "crowd.proposal.edit", user=author)
    return proposal


@transaction.atomic
def submit_proposal(author, proposal: Proposal, at: datetime | None = None) -> Proposal:
    """Send the author's draft to the moderators."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _submit(author, proposal, at or timezone.now())
    return proposal


def _submit(author, proposal: Proposal, at: datetime) -> None:
    _require_participant(author)
    if proposal.author_id != author.pk:
        raise PermissionDenied(_("Отправить можно только своё предложение."))
    _require_stage(proposal.project, StageKind.PROPOSALS, at)
    if proposal.state != ProposalState.DRAFT:
        raise ServiceError(_("Это предложение уже отправлено."), code="not_draft")
    proposal.transition_to(ProposalState.SUBMITTED)
    proposal.submitted_at = at
    proposal.save(update_fields=["state", "submitted_at", "updated_at"])
    record(proposal, "crowd.proposal.submit", user=author)
    logger.info("Proposal %s submitted", proposal.pk)


@transaction.atomic
def rate_proposal(
    user, proposal: Proposal, value: int, at: datetime | None = None
) -> Rating:
    """Set ``user``'s rating of ``proposal`` to +1 or -1.

    One statement (INSERT ... ON CONFLICT DO UPDATE) against the unique
    constraint, so parallel clicks leave exactly one row whatever the order.
    """
    at = at or timezone.now()
    if value not in (Rating.Value.SUPPORT, Rating.Value.OPPOSE):
        raise ServiceError(_("Неизвестная оценка."), code="bad_value")
    _require_participant(user)
    _require_stage(proposal.project, StageKind.DISCUSSION, at)
    if not permissions.can_rate(user, proposal, at):
        raise PermissionDenied(
            _("Оценивать можно опубликованные предложения других участников.")
        )
    check_rate(user, "rating")
    Rating.objects.bulk_create(
        [Rating(proposal=proposal, user=user, value=value, created_at=at)],
        update_conflicts=True,
        unique_fields=["proposal", "user"],
        update_fields=["value", "created_at"],
    )
    recount(proposal.pk)
    rating = Rating.objects.get(proposal=proposal, user=user)
    record(proposal, "crowd.rating.set", user=user, data={"value": value})
    schedule_index(proposal)
    return rating


@transaction.atomic
def withdraw_rating(user, proposal: Proposal, at: datetime | None = None) -> bool:
    """Remove ``user``'s rating; return whether there was one."""
    at = at or timezone.now()
    _require_participant(user)
    _require_stage(proposal.project, StageKind.DISCUSSION, at)
    check_rate(user, "rating")
    deleted, _details = Rating.objects.filter(proposal=proposal, user=user).delete()
    if deleted:
        recount(proposal.pk)
        record(proposal, "crowd.rating.withdraw", user=user)
        schedule_index(proposal)
    return bool(deleted)
