"""Hidden or rejected content is gone for everyone but its author and the
project's moderators: pages, lists, counts, "my proposals" and search."""

from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser

from crowdsourcing import permissions
from crowdsourcing.models import CommentState, ProposalState
from crowdsourcing.services import moderation

from .factories import (
    CommentFactory,
    ModerationReasonFactory,
    ProposalFactory,
    QuestionFactory,
    UserFactory,
)
from .participation import fresh_rate_limits, make_moderator  # noqa: F401

pytestmark = pytest.mark.django_db

SECRET = "Секретное предложение про тайный сквер"


@pytest.fixture
def setup():
    question = QuestionFactory()
    project = question.project
    author = UserFactory()
    public = ProposalFactory(question=question, title="Открытое предложение о парке")
    hidden = ProposalFactory(
        question=question, author=author, title=SECRET, state=ProposalState.HIDDEN
    )
    rejected = ProposalFactory(
        question=question,
        author=author,
        title=SECRET + " второе",
        state=ProposalState.REJECTED,
    )
    submitted = ProposalFactory(
        question=question,
        author=author,
        title=SECRET + " третье",
        state=ProposalState.SUBMITTED,
    )
    moderator = make_moderator(project)
    return {
        "project": project,
        "author": author,
        "public": public,
        "unpublished": [hidden, rejected, submitted],
        "moderator": moderator,
        "other_moderator": make_moderator(QuestionFactory().project),
    }


def viewers(setup):
    return {
        "visitor": None,
        "resident": UserFactory(),
        "other_moderator": setup["other_moderator"],
    }


def test_unpublished_proposals_are_absent_from_lists_and_counts(client, setup):
    """Neither the list, its count nor the project page show them to others."""
    project = setup["project"]
    for name, user in viewers(setup).items():
        client.logout()
        if user:
            client.force_login(user)
        listing = client.get(f"/projects/{project.slug}/proposals/")
        html = listing.content.decode()
        assert SECRET not in html, name
        assert listing.context["page_obj"].paginator.count == 1, name
        page = client.get(f"/projects/{project.slug}/")
        assert page.context["listed_count"] == 1
        assert SECRET not in page.content.decode()


def test_unpublished_proposal_pages_answer_404_to_others(client, setup):
    for name, user in viewers(setup).items():
        client.logout()
        if user:
            client.force_login(user)
        for proposal in setup["unpublished"]:
            response = client.get(proposal.get_absolute_url())
            assert response.status_code == 404, (name, proposal.state)


def test_author_and_moderator_still_see_them(client, setup):
    """The author reads all three on their pages and in "my proposals"; the
    moderator reads the pages but lists stay public-only for both."""
    for user in (setup["author"], setup["moderator"]):
        client.force_login(user)
        for proposal in setup["unpublished"]:
            response = client.get(proposal.get_absolute_url())
            assert response.status_code == 200
            assert proposal.title in response.content.decode()
        listing = client.get(f"/projects/{setup['project'].slug}/proposals/")
        assert listing.context["page_obj"].paginator.count == 1
    client.force_login(setup["author"])
    mine = client.get("/my/proposals/").content.decode()
    assert mine.count(SECRET) == 3


def test_permission_answers_match_the_pages(setup):
    hidden = setup["unpublished"][0]
    assert permissions.can_view_proposal(AnonymousUser(), hidden) is False
    assert permissions.can_view_proposal(setup["other_moderator"], hidden) is False
    assert permissions.can_view_proposal(setup["author"], hidden) is True
    assert permissions.can_view_proposal(setup["moderator"], hidden) is True
    assert list(permissions.visible_proposals(setup["author"])) == [setup["public"]]


def test_hidden_comment_is_absent_from_page_and_count(client, setup):
    """A hidden comment disappears with its count; its reply stays under a
    placeholder without the hidden text or author."""
    proposal = setup["public"]
    shown = CommentFactory(proposal=proposal, body="Видимый комментарий")
    commenter = UserFactory(display_name="Автор скрытого")
    hidden = CommentFactory(
        proposal=proposal,
        author=commenter,
        body="Грубый скрытый текст",
        state=CommentState.HIDDEN,
    )
    CommentFactory(
        proposal=proposal,
        parent=hidden,
        depth=1,
        body="Ответ на скрытый",
    )
    CommentFactory(
        proposal=proposal,
        body="Ждёт модератора после жалоб",
        state=CommentState.PENDING_REVIEW,
    )
    assert shown.pk
    response = client.get(proposal.get_absolute_url())
    html = response.content.decode()
    assert "Грубый скрытый текст" not in html
    assert "Автор скрытого" not in html
    assert "Ждёт модератора после жалоб" not in html
    assert "Ответ на скрытый" in html
    assert "Комментарий скрыт модератором." in html
    assert response.context["proposal"].comment_count == 2
    listing = client.get(f"/projects/{setup['project'].slug}/proposals/")
    (row,) = listing.context["page_obj"].object_list
    assert row.comment_count == 2
    # Its author and the project's moderator still read it.
    for user in (commenter, setup["moderator"]):
        client.force_login(user)
        assert (
            "Грубый скрытый текст"
            in client.get(proposal.get_absolute_url()).content.decode()
        )
    client.force_login(setup["other_moderator"])
    assert (
        "Грубый скрытый текст"
        not in client.get(proposal.get_absolute_url()).content.decode()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hiding_and_rejecting_unindex_after_commit():
    """Search is told to drop the proposal, after commit, on every decision
    that makes it non-public, and to index it on publish and restore."""
    question = QuestionFactory()
    moderator = make_moderator(question.project)
    reason = ModerationReasonFactory()
    submitted = ProposalFactory(question=question, state=ProposalState.SUBMITTED)
    other = ProposalFactory(question=question, state=ProposalState.SUBMITTED)
    path = "crowdsourcing.services.moderation."
    with (
        mock.patch(path + "schedule_index") as index,
        mock.patch(path + "schedule_unindex") as unindex,
    ):
        moderation.publish_proposal(moderator, submitted)
        moderation.hide_proposal(moderator, submitted, reason)
        moderation.restore_proposal(moderator, submitted)
        moderation.reject_proposal(moderator, other, reason)
    assert [c.args[0].pk for c in index.call_args_list] == [submitted.pk] * 2
    assert [c.args[0].pk for c in unindex.call_args_list] == [submitted.pk, other.pk]
