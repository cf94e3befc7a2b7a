"""The permission grid: each role × each action × each stage.

Every cell calls the real service and checks both outcomes: an allowed actor
changes the data, a refused one gets a ServiceError and changes nothing.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from crowdsourcing.models import (
    Comment,
    CommentState,
    Flag,
    Proposal,
    ProposalState,
    Rating,
    StageKind,
)
from crowdsourcing.roles import Role
from crowdsourcing.services import ServiceError, moderation
from crowdsourcing.services import comments as comment_services
from crowdsourcing.services import proposals as proposal_services

from .factories import (
    CommentFactory,
    ModerationReasonFactory,
    ProposalFactory,
    QuestionFactory,
    UserFactory,
)
from .participation import fresh_rate_limits, make_moderator, only_stage_open  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = [
    "visitor",
    "unconfirmed",
    "resident",
    "author",
    "moderator",
    "other_moderator",
    "operator",
]
# Staff accounts are people too: with a confirmed e-mail they may take part
# as residents. Only the proposal's author is kept from rating or flagging
# their own proposal.
PARTICIPANTS = {"resident", "author", "moderator", "other_moderator", "operator"}
MODERATORS = {"moderator", "operator"}


def expected(action: str, role: str, stage: str) -> bool:
    if action == "submit":
        return stage == StageKind.PROPOSALS and role in PARTICIPANTS
    if action == "comment":
        return stage == StageKind.DISCUSSION and role in PARTICIPANTS
    if action == "rate":
        return stage == StageKind.DISCUSSION and role in PARTICIPANTS - {"author"}
    if action == "flag_proposal":
        return role in PARTICIPANTS - {"author"}
    if action == "flag_comment":
        return role in PARTICIPANTS
    if action in ("publish", "reject", "hide_comment"):
        return role in MODERATORS
    raise AssertionError(action)


def make_actor(role, project, author):
    if role == "visitor":
        return AnonymousUser()
    if role == "unconfirmed":
        return UserFactory(email_confirmed=False)
    if role == "resident":
        return UserFactory()
    if role == "author":
        return author
    if role == "moderator":
        return make_moderator(project)
    if role == "other_moderator":
        other_project = QuestionFactory().project
        return make_moderator(other_project)
    if role == "operator":
        return UserFactory(roles=[Role.OPERATOR])
    raise AssertionError(role)


def perform(action, actor, project, author):
    """Run ``action``; return a callable that says whether it took effect."""
    question = project.questions.first()
    if action == "submit":
        if actor is author:
            draft = ProposalFactory(
                project=project,
                question=question,
                author=author,
                state=ProposalState.DRAFT,
            )
            try:
                proposal_services.submit_proposal(actor, draft)
            finally:
                draft.refresh_from_db()
            return draft.state == ProposalState.SUBMITTED
        before = Proposal.objects.filter(state=ProposalState.SUBMITTED).count()
        try:
            proposal_services.create_proposal(
                actor,
                project,
                question=question,
                title="Скамейки у пруда в парке",
                body="Поставить десять скамеек вдоль пруда, чтобы пожилым было где отдохнуть.",
                submit=True,
            )
        finally:
            after = Proposal.objects.filter(state=ProposalState.SUBMITTED).count()
        return after == before + 1
    published = ProposalFactory(project=project, question=question, author=author)
    if action == "comment":
        comment_services.add_comment(actor, published, "Поддерживаю, очень нужно.")
        return Comment.objects.filter(proposal=published).count() == 1
    if action == "rate":
        proposal_services.rate_proposal(actor, published, 1)
        return Rating.objects.filter(proposal=published, value=1).count() == 1
    if action == "flag_proposal":
        comment_services.flag_proposal(actor, published, Flag.Reason.SPAM)
        return Flag.objects.filter(proposal=published).count() == 1
    if action == "flag_comment":
        comment = CommentFactory(proposal=published)
        comment_services.flag_comment(actor, comment, Flag.Reason.OFFENSIVE)
        return Flag.objects.filter(comment=comment).count() == 1
    if action in ("publish", "reject"):
        submitted = ProposalFactory(
            project=project,
            question=question,
            author=author,
            state=ProposalState.SUBMITTED,
        )
        if action == "publish":
            moderation.publish_proposal(actor, submitted)
        else:
            moderation.reject_proposal(actor, submitted, ModerationReasonFactory())
        submitted.refresh_from_db()
        return submitted.state != ProposalState.SUBMITTED
    if action == "hide_comment":
        comment = CommentFactory(proposal=published)
        moderation.hide_comment(actor, comment, ModerationReasonFactory())
        comment.refresh_from_db()
        return comment.state == CommentState.HIDDEN
    raise AssertionError(action)


ACTIONS = [
    "submit",
    "comment",
    "rate",
    "flag_proposal",
    "flag_comment",
    "publish",
    "reject",
    "hide_comment",
]


@pytest.mark.parametrize("stage", StageKind.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_grid(action, stage):
    """Each role may do exactly what the grid says in each stage."""
    project = only_stage_open(stage)
    QuestionFactory(project=project)
    author = UserFactory()
    outcomes = {}
    for role in ROLES:
        actor = make_actor(role, project, author)
        try:
            outcomes[role] = perform(action, actor, project, author)
        except ServiceError:
            outcomes[role] = False
    wanted = {role: expected(action, role, stage) for role in ROLES}
    assert outcomes == wanted


def test_refusal_changes_nothing():
    """A refused rating leaves no row and no audit entry behind."""
    from wagtail.models import ModelLogEntry

    project = only_stage_open(StageKind.PROPOSALS)
    proposal = ProposalFactory(question=QuestionFactory(project=project))
    before = ModelLogEntry.objects.count()
    with pytest.raises(ServiceError) as refused:
        proposal_services.rate_proposal(UserFactory(), proposal, 1)
    assert refused.value.code == "stage_closed"
    assert str(refused.value) == "Этап «Обсуждение» сейчас закрыт: действие недоступно."
    assert Rating.objects.count() == 0
    assert ModelLogEntry.objects.count() == before


def test_unconfirmed_resident_is_told_to_confirm_email():
    project = only_stage_open(StageKind.PROPOSALS)
    question = QuestionFactory(project=project)
    with pytest.raises(ServiceError) as refused:
        proposal_services.create_proposal(
            UserFactory(email_confirmed=False),
            project,
            question=question,
            title="Скамейки у пруда в парке",
            body="x" * 60,
        )
    assert refused.value.code == "permission_denied"
    assert "Подтвердите адрес электронной почты" in str(refused.value)
