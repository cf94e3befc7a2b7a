"""The moderation queue, decisions, their e-mails and audit entries."""

import pytest
from django.core import mail
from django.test import override_settings
from wagtail.models import ModelLogEntry

from crowdsourcing.models import (
    CommentState,
    Flag,
    ModerationAction,
    ModerationDecision,
    ProposalState,
    Rating,
)
from crowdsourcing.services import PermissionDenied, ServiceError, moderation
from crowdsourcing.services import comments as comment_services

from .factories import (
    CommentFactory,
    ModerationReasonFactory,
    ProposalFactory,
    QuestionFactory,
    RatingFactory,
    UserFactory,
)
from .participation import fresh_rate_limits, make_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_projects():
    qa, qb = QuestionFactory(), QuestionFactory()
    a, b = qa.project, qb.project
    mod_a = make_moderator(a)
    pa = ProposalFactory(
        question=qa, title="Предложение проекта А", state=ProposalState.SUBMITTED
    )
    pb = ProposalFactory(
        question=qb, title="Предложение проекта Б", state=ProposalState.SUBMITTED
    )
    cb = CommentFactory(
        proposal=ProposalFactory(question=qb),
        body="Комментарий проекта Б",
        state=CommentState.PENDING_REVIEW,
    )
    ca = CommentFactory(
        proposal=ProposalFactory(question=qa),
        body="Комментарий проекта А",
        state=CommentState.PENDING_REVIEW,
    )
    return {"a": a, "b": b, "mod_a": mod_a, "pa": pa, "pb": pb, "ca": ca, "cb": cb}


def test_queue_of_one_project_shows_nothing_of_another(client, two_projects):
    """Moderator of A sees A's proposals and comments only, even when the
    filter names project B."""
    t = two_projects
    client.force_login(t["mod_a"])
    queue = client.get("/admin/moderation/")
    assert queue.status_code == 200
    assert [p.pk for p in queue.context["page_obj"]] == [t["pa"].pk]
    html = queue.content.decode()
    assert "Предложение проекта Б" not in html
    assert t["b"].title not in html
    typed = client.get(f"/admin/moderation/?project={t['b'].pk}")
    assert [p.pk for p in typed.context["page_obj"]] == [t["pa"].pk]
    comments = client.get("/admin/moderation/comments/")
    assert [c.pk for c in comments.context["page_obj"]] == [t["ca"].pk]
    assert "Комментарий проекта Б" not in comments.content.decode()


def test_comment_queue_holds_flagged_comments_only(client, two_projects):
    """A visible comment nobody flagged stays out of the comment queue."""
    from crowdsourcing.models import Flag

    t = two_projects
    quiet = CommentFactory(proposal=t["ca"].proposal, body="Обычный комментарий")
    flagged = CommentFactory(proposal=t["ca"].proposal, body="Комментарий с жалобой")
    Flag.objects.create(user=UserFactory(), comment=flagged, reason=Flag.Reason.SPAM)

    client.force_login(t["mod_a"])
    queue = client.get("/admin/moderation/comments/")
    shown = {c.pk for c in queue.context["page_obj"]}
    assert shown == {t["ca"].pk, flagged.pk}
    assert quiet.pk not in shown


def test_typed_urls_of_another_project_are_refused(client, two_projects):
    t = two_projects
    client.force_login(t["mod_a"])
    assert client.get(f"/admin/moderation/proposals/{t['pa'].pk}/").status_code == 200
    assert client.get(f"/admin/moderation/proposals/{t['pb'].pk}/").status_code == 404
    # Posting B's proposal in a bulk decision changes nothing at all.
    response = client.post(
        "/admin/moderation/",
        {"selected": [t["pa"].pk, t["pb"].pk], "action": "publish"},
    )
    assert response.status_code == 404
    t["pa"].refresh_from_db()
    t["pb"].refresh_from_db()
    assert (t["pa"].state, t["pb"].state) == ("submitted", "submitted")
    response = client.post(
        "/admin/moderation/comments/",
        {"selected": [t["cb"].pk], "action": "restore"},
    )
    assert response.status_code == 404
    # The catalogue screens of the admin: B's project and questions too.
    assert client.get("/admin/crowdsourcing/project/").status_code == 200
    listing = client.get("/admin/crowdsourcing/project/").content.decode()
    assert t["b"].title not in listing
    assert t["a"].title in listing
    edit_b = client.get(f"/admin/crowdsourcing/project/edit/{t['b'].pk}/")
    assert edit_b.status_code in (302, 403)
    question_b = t["b"].questions.get()
    edit_q = client.get(f"/admin/crowdsourcing/question/edit/{question_b.pk}/")
    assert edit_q.status_code in (302, 403)


def test_residents_and_unassigned_staff_cannot_open_the_queue(client, two_projects):
    client.force_login(UserFactory())
    assert client.get("/admin/moderation/").status_code == 302
    client.force_login(make_moderator(QuestionFactory().project))
    response = client.get(f"/admin/moderation/proposals/{two_projects['pa'].pk}/")
    assert response.status_code == 404


def test_bulk_reject_requires_a_reason(client, two_projects):
    t = two_projects
    extra = ProposalFactory(question=t["a"].questions.get(), state="submitted")
    client.force_login(t["mod_a"])
    response = client.post(
        "/admin/moderation/",
        {"selected": [t["pa"].pk, extra.pk], "action": "reject"},
        follow=True,
    )
    assert "Выберите причину" in response.content.decode()
    assert ModerationDecision.objects.count() == 0
    reason = ModerationReasonFactory()
    client.post(
        "/admin/moderation/",
        {
            "selected": [t["pa"].pk, extra.pk],
            "action": "reject",
            "reason": reason.pk,
            "note": "Повтор",
        },
    )
    t["pa"].refresh_from_db()
    extra.refresh_from_db()
    assert (t["pa"].state, extra.state) == ("rejected", "rejected")
    assert ModerationDecision.objects.filter(reason=reason).count() == 2


def test_service_refuses_reject_without_reason(two_projects):
    with pytest.raises(ServiceError) as refused:
        moderation.reject_proposal(two_projects["mod_a"], two_projects["pa"], None)
    assert refused.value.code == "no_reason"
    two_projects["pa"].refresh_from_db()
    assert two_projects["pa"].state == ProposalState.SUBMITTED


def test_bulk_publish_is_all_or_nothing(two_projects):
    """A batch that holds one proposal of another project changes none."""
    t = two_projects
    with pytest.raises(PermissionDenied):
        moderation.bulk_moderate_proposals(
            t["mod_a"], [t["pa"], t["pb"]], ModerationAction.PUBLISH
        )
    t["pa"].refresh_from_db()
    assert t["pa"].state == ProposalState.SUBMITTED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_author_gets_a_russian_email_with_the_reason():
    question = QuestionFactory()
    moderator = make_moderator(question.project)
    author = UserFactory(display_name="Ирина")
    proposal = ProposalFactory(
        question=question,
        author=author,
        title="Велодорожка вдоль набережной",
        state=ProposalState.SUBMITTED,
    )
    reason = ModerationReasonFactory(
        title="Не относится к вопросу", explanation="Вопрос проекта о другом."
    )
    moderation.reject_proposal(moderator, proposal, reason, note="Подайте в другой")
    (message,) = mail.outbox
    assert message.to == [author.email]
    assert message.subject == (
        "Решение по вашему предложению «Велодорожка вдоль набережной»"
    )
    assert "Здравствуйте, Ирина!" in message.body
    assert "Решение: Отклонить. Состояние: Отклонено." in message.body
    assert "Причина: Не относится к вопросу" in message.body
    assert "Вопрос проекта о другом." in message.body
    assert "Подайте в другой" in message.body
    assert f"http://testserver/proposals/{proposal.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Не относится к вопросу" in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_email_when_the_decision_rolls_back():
    question = QuestionFactory()
    moderator = make_moderator(question.project)
    proposal = ProposalFactory(question=question, state=ProposalState.REJECTED)
    with pytest.raises(ServiceError):
        moderation.publish_proposal(moderator, proposal)
    assert mail.outbox == []


def test_decisions_write_audit_entries(two_projects):
    t = two_projects
    moderation.publish_proposal(t["mod_a"], t["pa"])
    moderation.hide_proposal(t["mod_a"], t["pa"], ModerationReasonFactory())
    moderation.restore_proposal(t["mod_a"], t["pa"])
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(t["pa"].pk))
        .order_by("timestamp", "pk")
        .values_list("action", "user_id")
    )
    assert actions == [
        ("crowd.proposal.publish", t["mod_a"].pk),
        ("crowd.proposal.hide", t["mod_a"].pk),
        ("crowd.proposal.restore", t["mod_a"].pk),
    ]
    t["pa"].refresh_from_db()
    assert t["pa"].published_at is not None


def test_audit_log_labels_are_registered(client):
    from django.utils import translation
    from wagtail.log_actions import registry

    # The labels are lazy: read them in Russian whatever language an earlier
    # request left active on this thread.
    with translation.override("ru"):
        assert registry.get_action_label("crowd.proposal.reject") == (
            "Предложение отклонено"
        )
        assert registry.get_action_label("crowd.comment.auto_hide") == (
            "Комментарий скрыт по жалобам"
        )


@override_settings(CROWD_COMMENT_FLAGS_TO_HIDE=3)
def test_comment_hides_itself_after_the_configured_number_of_flags():
    comment = CommentFactory()
    for n in range(3):
        comment_services.flag_comment(UserFactory(), comment, Flag.Reason.OFFENSIVE)
        comment.refresh_from_db()
        expected = CommentState.PENDING_REVIEW if n == 2 else CommentState.VISIBLE
        assert comment.state == expected
    assert ModelLogEntry.objects.filter(action="crowd.comment.auto_hide").count() == 1


def test_one_resident_flags_once():
    comment = CommentFactory()
    user = UserFactory()
    comment_services.flag_comment(user, comment, Flag.Reason.SPAM)
    with pytest.raises(ServiceError) as refused:
        comment_services.flag_comment(user, comment, Flag.Reason.SPAM)
    assert refused.value.code == "already_flagged"
    assert Flag.objects.count() == 1


def test_moderator_restores_a_flagged_comment_and_closes_its_flags():
    comment = CommentFactory(state=CommentState.PENDING_REVIEW)
    Flag.objects.create(user=UserFactory(), comment=comment, reason="spam")
    moderator = make_moderator(comment.proposal.project)
    moderation.restore_comment(moderator, comment)
    comment.refresh_from_db()
    assert comment.state == CommentState.VISIBLE
    assert comment.flags.filter(resolved_at__isnull=True).count() == 0


def test_merge_moves_supporters_to_the_target():
    question = QuestionFactory()
    moderator = make_moderator(question.project)
    source = ProposalFactory(question=question)
    target = ProposalFactory(question=question)
    both, only_source = UserFactory(), UserFactory()
    RatingFactory(proposal=source, user=both, value=1)
    RatingFactory(proposal=target, user=both, value=-1)
    RatingFactory(proposal=source, user=only_source, value=1)
    moderation.merge_proposal(moderator, source, target)
    source.refresh_from_db()
    assert source.state == ProposalState.MERGED
    assert source.merged_into == target
    assert sorted(
        Rating.objects.filter(proposal=target).values_list("user_id", "value")
    ) == sorted([(both.pk, -1), (only_source.pk, 1)])


def test_operator_opens_every_catalogue_screen(client, operator, two_projects):
    """The admin catalogues render for an operator, with the stage calendar
    inline on the project form."""
    client.force_login(operator)
    for url in (
        "/admin/crowdsourcing/project/",
        "/admin/crowdsourcing/project/create/",
        f"/admin/crowdsourcing/project/edit/{two_projects['b'].pk}/",
        "/admin/crowdsourcing/question/",
        "/admin/crowdsourcing/department/",
        "/admin/crowdsourcing/category/",
        "/admin/crowdsourcing/district/",
        "/admin/crowdsourcing/moderationreason/",
        "/admin/moderation/",
        "/admin/moderation/comments/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    edit = client.get(f"/admin/crowdsourcing/project/edit/{two_projects['b'].pk}/")
    assert "stages-TOTAL_FORMS" in edit.content.decode()
    reasons = client.get("/admin/crowdsourcing/moderationreason/").content.decode()
    assert "Не относится к вопросам проекта" in reasons
