"""Report the implementation of accepted proposals.

Audit actions written here: ``crowd.implementation.update`` (a new dated
update) and ``crowd.implementation.edit`` (a correction of one).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from search.indexing import schedule_index

from .. import permissions
from ..models import (
    IMPLEMENTABLE_STATES,
    ImplementationPhoto,
    ImplementationStatus,
    ImplementationUpdate,
    Proposal,
    ProposalState,
)
from ..models.implementation import FINAL_IMPLEMENTATION_STATUSES
from . import PermissionDenied, ServiceError
from .audit import record

logger = logging.getLogger(__name__)

# The proposal state that follows each implementation status, where the
# proposal's own state machine has one (a proposal selected without a vote
# stays "selected": its moves end there).
PROPOSAL_STATE_FOR_STATUS = {
    ImplementationStatus.IN_PROGRESS: ProposalState.IN_PROGRESS,
    ImplementationStatus.DONE: ProposalState.IMPLEMENTED,
    ImplementationStatus.DECLINED: ProposalState.DECLINED,
}

Photo = tuple[object, str]


def _check_can_report(user, proposal: Proposal) -> None:
    if not permissions.can_report_implementation(user, proposal):
        raise PermissionDenied(
            _("Отчитываться о реализации могут только сотрудники ведомства проекта.")
        )


def _move_proposal(proposal: Proposal, status: str) -> bool:
    """Advance the proposal's state to match ``status`` where allowed.

    A winner that is reported done passes through "in progress" first, as
    the state machine demands. Return True when the state changed.
    """
    target = PROPOSAL_STATE_FOR_STATUS.get(status)
    before = proposal.state
    if target is None or before == target:
        return False
    if not proposal.can_transition_to(target) and proposal.can_transition_to(
        ProposalState.IN_PROGRESS
    ):
        proposal.transition_to(ProposalState.IN_PROGRESS)
    if proposal.can_transition_to(target):
        proposal.transition_to(target)
    return proposal.state != before


def _save_photos(update: ImplementationUpdate, photos: Sequence[Photo]) -> None:
    update.photos.all().delete()
    ImplementationPhoto.objects.bulk_create(
        ImplementationPhoto(update=update, image=image, caption=caption, sort_order=i)
        for i, (image, caption) in enumerate(photos)
    )


@transaction.atomic
def record_implementation_update(
    user,
    proposal: Proposal,
    *,
    status: str,
    note: str,
    happened_on: date | None = None,
    declined_reason: str = "",
    photos: Sequence[Photo] = (),
) -> ImplementationUpdate:
    """Add a dated update to ``proposal``'s implementation.

    Refused unless ``user`` works for the project's department, the proposal
    has been accepted, and the story is not already over (done or declined
    stays so). A decline needs a reason residents can read.
    """
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("project")
        .get(pk=proposal.pk)
    )
    _check_can_report(user, proposal)
    if proposal.state not in IMPLEMENTABLE_STATES:
        raise ServiceError(
            _(
                "О реализации отчитываются только по отобранным или победившим "
                "предложениям."
            ),
            code="not_implementable",
        )
    status = ImplementationStatus(status)
    declined_reason = declined_reason.strip()
    if status == ImplementationStatus.DECLINED and not declined_reason:
        raise ServiceError(
            _("Укажите причину отказа от реализации."), code="reason_required"
        )
    if status != ImplementationStatus.DECLINED:
        declined_reason = ""
    if not note.strip():
        raise ServiceError(_("Опишите, что сделано."), code="note_required")
    current = ImplementationUpdate.objects.for_proposal(proposal).latest_first().first()
    if (
        current is not None
        and current.status in FINAL_IMPLEMENTATION_STATUSES
        and status != current.status
    ):
        raise ServiceError(
            _(
                "Реализация уже завершена со статусом «%(status)s»; её нельзя "
                "перевести в другой статус."
            )
            % {"status": current.get_status_display()},
            code="implementation_final",
        )

    update = ImplementationUpdate.objects.create(
        proposal=proposal,
        status=status,
        happened_on=happened_on or timezone.localdate(),
        note=note.strip(),
        declined_reason=declined_reason,
        author=user,
    )
    _save_photos(update, photos)
    old_state = proposal.state
    if _move_proposal(proposal, status):
        proposal.save(update_fields=["state", "updated_at"])
        transaction.on_commit(lambda: schedule_index(proposal))
    record(
        proposal,
        "crowd.implementation.update",
        user=user,
        data={
            "update": update.pk,
            "status": status.value,
            "proposal_state_before": old_state,
            "proposal_state_after": proposal.state,
        },
    )
    logger.info(
        "Implementation update %s on proposal %s: %s", update.pk, proposal.pk, status
    )
    return update


@transaction.atomic
def edit_implementation_update(
    user,
    update: ImplementationUpdate,
    *,
    note: str,
    happened_on: date,
    photos: Sequence[Photo] | None = None,
) -> ImplementationUpdate:
    """Correct the text, date or photos of an update; never its status.

    A new status is a new update, so the history keeps what residents were
    told and when.
    """
    update = (
        ImplementationUpdate.objects.select_for_update()
        .select_related("proposal__project")
        .get(pk=update.pk)
    )
    _check_can_report(user, update.proposal)
    if not note.strip():
        raise ServiceError(_("Опишите, что сделано."), code="note_required")
    update.note = note.strip()
    update.happened_on = happened_on
    update.save(update_fields=["note", "happened_on"])
    if photos is not None:
        _save_photos(update, photos)
    record(
        update.proposal,
        "crowd.implementation.edit",
        user=user,
        data={"update": update.pk},
    )
    return update
