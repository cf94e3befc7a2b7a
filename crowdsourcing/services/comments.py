"""Residents' comments and flags.

Comments are post-moderated: public at once, hidden by a moderator or,
pending review, after ``settings.CROWD_COMMENT_FLAGS_TO_HIDE`` flags from
different residents. Audit actions: ``crowd.comment.create``,
``crowd.flag.create``, ``crowd.comment.auto_hide``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from search.indexing import schedule_index

from .. import permissions
from ..models import Comment, CommentState, Flag, NotificationKind, Proposal, StageKind
from ..notifications import notify
from . import PermissionDenied, ServiceError
from .audit import record
from .limits import check_rate
from .proposals import _require_participant, _require_stage, recount

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 3000


@transaction.atomic
def add_comment(
    author,
    proposal: Proposal,
    body: str,
    parent: Comment | None = None,
    at: datetime | None = None,
) -> Comment:
    """Publish ``author``'s comment (a reply when ``parent`` is given)."""
    at = at or timezone.now()
    _require_participant(author)
    _require_stage(proposal.project, StageKind.DISCUSSION, at)
    if not permissions.can_comment(author, proposal, at):
        raise PermissionDenied(_("Это предложение нельзя обсуждать."))
    body = (body or "").strip()
    if not body:
        raise ServiceError(_("Напишите текст комментария."), code="empty")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ServiceError(
            _("Комментарий слишком длинный: не больше %(n)d символов.")
            % {"n": COMMENT_MAX_LENGTH},
            code="too_long",
        )
    depth = 0
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise ServiceError(_("Ответ должен относиться к тому же предложению."))
        if parent.state != CommentState.VISIBLE:
            raise PermissionDenied(_("На скрытый комментарий ответить нельзя."))
        if parent.depth >= Comment.MAX_DEPTH:
            raise ServiceError(
                _("Слишком глубокая ветка: ответьте на комментарий выше."),
                code="too_deep",
            )
        depth = parent.depth + 1
    check_rate(author, "comment")
    comment = Comment.objects.create(
        proposal=proposal,
        author=author,
        parent=parent,
        depth=depth,
        body=body,
        created_at=at,
    )
    recount(proposal.pk)
    record(comment, "crowd.comment.create", user=author)
    schedule_index(proposal)
    if parent is not None and parent.author_id != author.pk:
        notify(
            parent.author,
            "comment_reply",
            {
                "proposal_title": proposal.title,
                "reply_author": author.public_name,
                "reply_body": body,
                "reply_url": comment.get_absolute_url(),
            },
            kind=NotificationKind.REPLIES,
        )
    logger.info("Comment %s added to proposal %s", comment.pk, proposal.pk)
    return comment


@transaction.atomic
def flag_comment(user, comment: Comment, reason: str, note: str = "") -> Flag:
    """Report ``comment``; enough reports hide it until a moderator looks."""
    _require_participant(user)
    if not permissions.can_flag_comment(user, comment):
        raise PermissionDenied(_("На этот комментарий нельзя пожаловаться."))
    check_rate(user, "flag")
    # Lock the comment so that two last flags cannot both miss the threshold.
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    flag = _create_flag(user, reason, note, comment=comment)
    record(comment, "crowd.flag.create", user=user, data={"reason": reason})
    open_flags = comment.flags.filter(resolved_at__isnull=True).count()
    threshold = settings.CROWD_COMMENT_FLAGS_TO_HIDE
    if comment.state == CommentState.VISIBLE and threshold and open_flags >= threshold:
        comment.state = CommentState.PENDING_REVIEW
        comment.save(update_fields=["state"])
        recount(comment.proposal_id)
        record(comment, "crowd.comment.auto_hide", data={"flags": open_flags})
        # The proposal's document may carry its visible comments.
        schedule_index(comment.proposal)
        logger.info("Comment %s hidden after %s flags", comment.pk, open_flags)
    return flag


@transaction.atomic
def flag_proposal(user, proposal: Proposal, reason: str, note: str = "") -> Flag:
    """Report a public proposal to its moderators."""
    _require_participant(user)
    if not permissions.can_flag_proposal(user, proposal):
        raise PermissionDenied(_("На это предложение нельзя пожаловаться."))
    check_rate(user, "flag")
    flag = _create_flag(user, reason, note, proposal=proposal)
    record(proposal, "crowd.flag.create", user=user, data={"reason": reason})
    return flag


def _create_flag(user, reason: str, note: str, **target) -> Flag:
    if reason not in Flag.Reason.values:
        raise ServiceError(_("Выберите причину жалобы."), code="bad_reason")
    try:
        with transaction.atomic():
            return Flag.objects.create(
                user=user, reason=reason, note=(note or "").strip()[:500], **target
            )
    except IntegrityError:
        raise ServiceError(
            _("Вы уже пожаловались на это."), code="already_flagged"
        ) from None
