"""Moderators' decisions on proposals and comments.

Each decision checks that the moderator holds ``moderate_project`` on the
item's project (permissions.can_moderate), moves the state through the one
guarded transition, stores a ModerationDecision (a reason from the
catalogue where the rules require one), writes the audit entry and, after
commit, re-indexes and e-mails the author. Audit actions:
``crowd.proposal.publish|reject|hide|restore|merge`` and
``crowd.comment.hide|restore``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from search.indexing import schedule_index, schedule_unindex

from .. import permissions
from ..models import (
    Comment,
    CommentState,
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    NotificationKind,
    Proposal,
    ProposalState,
    Rating,
)
from ..models.proposals import InvalidTransition
from ..notifications import notify
from . import PermissionDenied, ServiceError
from .audit import record
from .proposals import recount

logger = logging.getLogger(__name__)

REASON_REQUIRED = {ModerationAction.REJECT, ModerationAction.HIDE}


def _require_moderator(moderator, project) -> None:
    if not permissions.can_moderate(moderator, project):
        raise PermissionDenied(_("Вы не модерируете этот проект."))


def _require_reason(action: str, reason: ModerationReason | None) -> None:
    if action in REASON_REQUIRED and reason is None:
        raise ServiceError(
            _("Для этого решения нужна причина из справочника."), code="no_reason"
        )
    if reason is not None and not reason.is_active:
        raise ServiceError(_("Эта причина больше не используется."), code="old_reason")


def _locked(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("project", "author")
        .get(pk=proposal.pk)
    )


def _tell_author(proposal: Proposal, decision: ModerationDecision) -> None:
    reason = decision.reason
    notify(
        proposal.author,
        "proposal_decision",
        {
            "proposal_id": proposal.pk,
            "proposal_title": proposal.title,
            "proposal_url": proposal.get_absolute_url(),
            "action": decision.action,
            "action_label": str(ModerationAction(decision.action).label),
            "state_label": str(ProposalState(proposal.state).label),
            "reason_title": reason.title if reason else "",
            "reason_explanation": reason.explanation if reason else "",
            "note": decision.note,
        },
        kind=NotificationKind.MODERATION,
    )


def _decide_proposal(
    moderator,
    proposal: Proposal,
    action: str,
    new_state: str,
    reason: ModerationReason | None,
    note: str,
    **extra_fields,
) -> Proposal:
    proposal = _locked(proposal)
    _require_moderator(moderator, proposal.project)
    _require_reason(action, reason)
    try:
        proposal.transition_to(new_state)
    except InvalidTransition as error:
        raise ServiceError(error.messages[0], code="invalid_transition") from None
    update = ["state", "updated_at", *extra_fields]
    for name, value in extra_fields.items():
        setattr(proposal, name, value)
    proposal.save(update_fields=update)
    decision = ModerationDecision.objects.create(
        moderator=moderator, proposal=proposal, action=action, reason=reason, note=note
    )
    record(
        proposal,
        f"crowd.proposal.{action}",
        user=moderator,
        data={"reason": reason.code if reason else "", "decision": decision.pk},
    )
    if proposal.state in (ProposalState.PUBLISHED,):
        schedule_index(proposal)
    else:
        schedule_unindex(proposal)
    _tell_author(proposal, decision)
    logger.info("Proposal %s: %s by moderator %s", proposal.pk, action, moderator.pk)
    return proposal


@transaction.atomic
def publish_proposal(moderator, proposal: Proposal, note: str = "") -> Proposal:
    """Make a submitted proposal public."""
    return _decide_proposal(
        moderator,
        proposal,
        ModerationAction.PUBLISH,
        ProposalState.PUBLISHED,
        None,
        note,
        published_at=timezone.now(),
    )


@transaction.atomic
def reject_proposal(
    moderator, proposal: Proposal, reason: ModerationReason | None, note: str = ""
) -> Proposal:
    """Refuse a submitted proposal; the author is told the reason."""
    return _decide_proposal(
        moderator,
        proposal,
        ModerationAction.REJECT,
        ProposalState.REJECTED,
        reason,
        note,
    )


@transaction.atomic
def hide_proposal(
    moderator, proposal: Proposal, reason: ModerationReason | None, note: str = ""
) -> Proposal:
    """Take a published proposal out of public view."""
    return _decide_proposal(
        moderator, proposal, ModerationAction.HIDE, ProposalState.HIDDEN, reason, note
    )


@transaction.atomic
def restore_proposal(moderator, proposal: Proposal, note: str = "") -> Proposal:
    """Show a hidden proposal again."""
    return _decide_proposal(
        moderator,
        proposal,
        ModerationAction.RESTORE,
        ProposalState.PUBLISHED,
        None,
        note,
    )


@transaction.atomic
def merge_proposal(
    moderator, proposal: Proposal, into: Proposal, note: str = ""
) -> Proposal:
    """Merge a published proposal into another of the same project.

    Supporters move to the target: a resident who rated only the merged
    proposal now rates the target the same way; one who rated both keeps the
    rating they gave the target.
    """
    if into.pk == proposal.pk or into.project_id != proposal.project_id:
        raise ServiceError(
            _("Объединять можно только с другим предложением того же проекта."),
            code="bad_merge_target",
        )
    into = _locked(into)
    if into.state != ProposalState.PUBLISHED:
        raise ServiceError(
            _("Объединять можно только с опубликованным предложением."),
            code="bad_merge_target",
        )
    merged = _decide_proposal(
        moderator,
        proposal,
        ModerationAction.MERGE,
        ProposalState.MERGED,
        None,
        note,
        merged_into=into,
    )
    already = Rating.objects.filter(proposal=into).values("user_id")
    # The target's author cannot rate their own proposal (permissions.can_rate).
    Rating.objects.filter(proposal=merged).exclude(user_id__in=already).exclude(
        user_id=into.author_id
    ).update(proposal=into)
    recount(merged.pk, into.pk)
    record(into, "crowd.proposal.merge", user=moderator, data={"from": merged.pk})
    schedule_index(into)
    return merged


PROPOSAL_BULK_ACTIONS = {
    ModerationAction.PUBLISH: lambda m, p, r, n: publish_proposal(m, p, n),
    ModerationAction.REJECT: reject_proposal,
    ModerationAction.HIDE: hide_proposal,
    ModerationAction.RESTORE: lambda m, p, r, n: restore_proposal(m, p, n),
}


@transaction.atomic
def bulk_moderate_proposals(
    moderator,
    proposals: Iterable[Proposal],
    action: str,
    reason: ModerationReason | None = None,
    note: str = "",
) -> list[Proposal]:
    """Apply one decision to several proposals: all of them or none."""
    if action not in PROPOSAL_BULK_ACTIONS:
        raise ServiceError(_("Это действие нельзя выполнить списком."))
    _require_reason(action, reason)
    proposals = list(proposals)
    for proposal in proposals:
        _require_moderator(moderator, proposal.project)
    decide = PROPOSAL_BULK_ACTIONS[action]
    return [decide(moderator, proposal, reason, note) for proposal in proposals]


def _decide_comment(
    moderator, comment: Comment, action: str, state: str, reason, note: str
) -> Comment:
    comment = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("proposal__project", "author")
        .get(pk=comment.pk)
    )
    _require_moderator(moderator, comment.proposal.project)
    _require_reason(action, reason)
    comment.state = state
    comment.save(update_fields=["state"])
    comment.flags.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    recount(comment.proposal_id)
    decision = ModerationDecision.objects.create(
        moderator=moderator, comment=comment, action=action, reason=reason, note=note
    )
    record(
        comment,
        f"crowd.comment.{action}",
        user=moderator,
        data={"reason": reason.code if reason else "", "decision": decision.pk},
    )
    schedule_index(comment.proposal)
    if action == ModerationAction.HIDE:
        notify(
            comment.author,
            "comment_hidden",
            {
                "comment_id": comment.pk,
                "comment_body": comment.body,
                "proposal_title": comment.proposal.title,
                "proposal_url": comment.proposal.get_absolute_url(),
                "reason_title": reason.title if reason else "",
                "reason_explanation": reason.explanation if reason else "",
                "note": note,
            },
            kind=NotificationKind.MODERATION,
        )
    logger.info("Comment %s: %s by moderator %s", comment.pk, action, moderator.pk)
    return comment


@transaction.atomic
def hide_comment(
    moderator, comment: Comment, reason: ModerationReason | None, note: str = ""
) -> Comment:
    """Hide a comment (visible or waiting after flags) with a reason."""
    if comment.state == CommentState.HIDDEN:
        raise ServiceError(_("Комментарий уже скрыт."), code="already_hidden")
    return _decide_comment(
        moderator, comment, ModerationAction.HIDE, CommentState.HIDDEN, reason, note
    )


@transaction.atomic
def restore_comment(moderator, comment: Comment, note: str = "") -> Comment:
    """Show a hidden comment again and close its flags."""
    if comment.state == CommentState.VISIBLE:
        raise ServiceError(_("Комментарий и так виден."), code="already_visible")
    return _decide_comment(
        moderator, comment, ModerationAction.RESTORE, CommentState.VISIBLE, None, note
    )


@transaction.atomic
def bulk_moderate_comments(
    moderator,
    comments: Iterable[Comment],
    action: str,
    reason: ModerationReason | None = None,
    note: str = "",
) -> list[Comment]:
    """Hide or restore several comments: all of them or none."""
    comments = list(comments)
    for comment in comments:
        _require_moderator(moderator, comment.proposal.project)
    if action == ModerationAction.HIDE:
        _require_reason(action, reason)
        return [hide_comment(moderator, c, reason, note) for c in comments]
    if action == ModerationAction.RESTORE:
        return [restore_comment(moderator, c, note) for c in comments]
    raise ServiceError(_("Это действие нельзя выполнить списком."))
