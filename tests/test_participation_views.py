"""The resident site: proposal form, list, page, comments, ratings, limits."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from crowdsourcing.models import Comment, Proposal, ProposalState, Rating, StageKind
from crowdsourcing.services import ServiceError
from crowdsourcing.services import comments as comment_services
from crowdsourcing.services import proposals as proposal_services
from crowdsourcing.services.limits import RateLimited
from crowdsourcing.views import proposals as proposal_views

from .factories import (
    CategoryFactory,
    CommentFactory,
    ProposalFactory,
    QuestionFactory,
    RatingFactory,
    UserFactory,
)
from .participation import fresh_rate_limits, only_stage_open  # noqa: F401

pytestmark = pytest.mark.django_db

BODY = "Поставить урны для раздельного сбора мусора у каждого подъезда дома."


def post_proposal(client, project, **data):
    return client.post(f"/projects/{project.slug}/propose/", data)


def test_form_shows_clear_russian_messages(client, resident):
    """Too short a title and body, and no question: three plain messages."""
    project = only_stage_open(StageKind.PROPOSALS)
    QuestionFactory(project=project)
    client.force_login(resident)
    response = post_proposal(client, project, title="Урны", body="Коротко")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["question"] == ["Выберите вопрос, на который вы отвечаете."]
    assert errors["title"] == [
        "Заголовок слишком короткий: нужно не меньше 10 символов (сейчас 4)."
    ]
    assert errors["body"] == [
        "Опишите предложение подробнее: нужно не меньше 50 символов (сейчас 7)."
    ]
    long = post_proposal(client, project, title="Т" * 151, body="Б" * 5001)
    assert long.context["form"].errors["title"] == [
        "Заголовок слишком длинный: не больше 150 символов (сейчас 151)."
    ]
    assert "не больше 5000 символов" in long.context["form"].errors["body"][0]
    assert Proposal.objects.count() == 0


def test_question_of_another_project_is_refused(client, resident):
    project = only_stage_open(StageKind.PROPOSALS)
    QuestionFactory(project=project)
    foreign = QuestionFactory()
    client.force_login(resident)
    response = post_proposal(
        client, project, question=foreign.pk, title="Урны у подъездов", body=BODY
    )
    assert "question" in response.context["form"].errors
    assert Proposal.objects.count() == 0


def test_draft_then_submit_from_my_proposals(client, resident):
    """A draft waits in "my proposals" until the author sends it."""
    project = only_stage_open(StageKind.PROPOSALS)
    question = QuestionFactory(project=project)
    client.force_login(resident)
    response = post_proposal(
        client,
        project,
        question=question.pk,
        title="Урны у подъездов",
        body=BODY,
        draft="1",
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.state == ProposalState.DRAFT
    mine = client.get("/my/proposals/").content.decode()
    assert "Урны у подъездов" in mine and "Черновик" in mine
    client.post(f"/proposals/{proposal.pk}/submit/")
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.SUBMITTED
    assert "На модерации" in client.get("/my/proposals/").content.decode()


def test_form_is_closed_outside_the_proposals_stage(client, resident):
    project = only_stage_open(StageKind.DISCUSSION)
    QuestionFactory(project=project)
    client.force_login(resident)
    response = client.get(f"/projects/{project.slug}/propose/")
    assert response.status_code == 403
    assert "Приём предложений в этом проекте сейчас не идёт" in (
        response.content.decode()
    )


def test_my_proposals_shows_the_rejection_reason(client, resident):
    from crowdsourcing.services import moderation

    from .factories import ModerationReasonFactory
    from .participation import make_moderator

    proposal = ProposalFactory(author=resident, state=ProposalState.SUBMITTED)
    moderator = make_moderator(proposal.project)
    reason = ModerationReasonFactory(title="Дубликат другого предложения")
    moderation.reject_proposal(moderator, proposal, reason)
    client.force_login(resident)
    html = client.get("/my/proposals/").content.decode()
    assert "Отклонено" in html
    assert "Дубликат другого предложения" in html


def _list_queries(client, django_assert_num_queries, project, n):
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(
            f"/projects/{project.slug}/proposals/?sort=supported"
            f"&category={project._category.pk}"
        )
    assert len(response.context["page_obj"].object_list) == n
    return response


# The project and its stages, the chosen category's lookup, the page's
# count, the filter options (questions, categories, districts) and the
# page's rows with their annotated counts.
# Two of these are the main menu in base.html (pages marked "show in menus").
LIST_QUERIES = 10


@pytest.mark.parametrize("page_size", [2, 20])
def test_list_runs_constant_queries(
    client, django_assert_num_queries, page_size, monkeypatch
):
    """Eight queries whether a page holds two proposals or twenty."""
    monkeypatch.setattr(proposal_views, "PAGE_SIZE", page_size)
    question = QuestionFactory()
    project = question.project
    project._category = CategoryFactory()
    for _ in range(25):
        p = ProposalFactory(question=question, category=project._category)
        RatingFactory(proposal=p)
        CommentFactory(proposal=p)
    _list_queries(client, django_assert_num_queries, project, page_size)


def test_list_sorts_and_filters(client):
    question = QuestionFactory()
    other_question = QuestionFactory(project=question.project)
    quiet = ProposalFactory(question=question, title="Тихое предложение жителей")
    loved = ProposalFactory(question=question, title="Любимое предложение жителей")
    talked = ProposalFactory(
        question=other_question, title="Обсуждаемое предложение жителей"
    )
    for _ in range(3):
        RatingFactory(proposal=loved)
    RatingFactory(proposal=quiet, value=-1)
    CommentFactory(proposal=talked)
    CommentFactory(proposal=talked)
    # The factories write rows directly, as an import would: recount.
    call_command("recount_proposals", verbosity=0)
    url = f"/projects/{question.project.slug}/proposals/"

    def titles(query):
        return [p.title for p in client.get(url + query).context["page_obj"]]

    assert titles("?sort=new") == [talked.title, loved.title, quiet.title]
    assert titles("?sort=supported")[0] == loved.title
    assert titles("?sort=discussed")[0] == talked.title
    assert titles(f"?question={other_question.pk}") == [talked.title]
    row = client.get(url + "?sort=supported").context["page_obj"][0]
    assert (row.support_count, row.oppose_count, row.comment_count) == (3, 0, 0)


def test_threaded_replies_three_levels_deep(client, resident):
    proposal = ProposalFactory()
    client.force_login(resident)
    parent = None
    for level in range(3):
        data = {"body": f"Уровень {level}"}
        if parent:
            data["parent"] = parent.pk
        client.post(f"/proposals/{proposal.pk}/comments/", data)
        parent = Comment.objects.latest("pk")
        assert parent.depth == level
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert html.index("Уровень 0") < html.index("Уровень 1") < html.index("Уровень 2")
    assert html.count('class="comments replies"') == 2


def test_reply_past_the_depth_limit_is_refused(resident):
    deepest = CommentFactory(depth=0)
    for _ in range(Comment.MAX_DEPTH):
        deepest = CommentFactory(
            proposal=deepest.proposal, parent=deepest, depth=deepest.depth + 1
        )
    with pytest.raises(ServiceError) as refused:
        comment_services.add_comment(
            resident, deepest.proposal, "Ещё глубже", parent=deepest
        )
    assert refused.value.code == "too_deep"


def test_rating_buttons_set_change_and_withdraw(client, resident):
    proposal = ProposalFactory()
    client.force_login(resident)
    client.post(f"/proposals/{proposal.pk}/rate/", {"value": "1"})
    assert Rating.objects.get().value == 1
    client.post(f"/proposals/{proposal.pk}/rate/", {"value": "-1"})
    assert Rating.objects.get().value == -1
    client.post(f"/proposals/{proposal.pk}/rate/", {"value": "withdraw"})
    assert Rating.objects.count() == 0


def test_flag_form_on_a_proposal(client, resident):
    proposal = ProposalFactory()
    client.force_login(resident)
    client.post(
        f"/proposals/{proposal.pk}/flag/", {"reason": "spam", "note": "Реклама"}
    )
    flag = proposal.flags.get()
    assert (flag.user, flag.reason, flag.note) == (resident, "spam", "Реклама")


@override_settings(CROWD_RATE_LIMITS={"comment": "2/h", "proposal": "1/h"})
def test_rate_limits_per_resident(resident):
    """The third comment within the hour is refused; someone else may go on."""
    proposal = ProposalFactory()
    comment_services.add_comment(resident, proposal, "Первый")
    comment_services.add_comment(resident, proposal, "Второй")
    with pytest.raises(RateLimited) as refused:
        comment_services.add_comment(resident, proposal, "Третий")
    assert str(refused.value) == (
        "Слишком много действий подряд. Попробуйте немного позже."
    )
    comment_services.add_comment(UserFactory(), proposal, "Другой житель")
    assert Comment.objects.count() == 3
    question = QuestionFactory()
    proposal_services.create_proposal(
        resident, question.project, question=question, title="Первое за час", body=BODY
    )
    with pytest.raises(RateLimited):
        proposal_services.create_proposal(
            resident,
            question.project,
            question=question,
            title="Второе за час",
            body=BODY,
        )


def test_services_keep_the_ordering_tallies_counted_from_rows(resident):
    """Ratings, comments and their hiding recount the tallies at once."""
    from crowdsourcing.services import moderation

    from .factories import ModerationReasonFactory
    from .participation import make_moderator

    proposal = ProposalFactory()
    proposal_services.rate_proposal(resident, proposal, 1)
    proposal_services.rate_proposal(UserFactory(), proposal, -1)
    comment = comment_services.add_comment(resident, proposal, "Согласен")
    proposal.refresh_from_db()
    assert (proposal.support_tally, proposal.comment_tally) == (1, 1)
    moderation.hide_comment(
        make_moderator(proposal.project), comment, ModerationReasonFactory()
    )
    proposal_services.withdraw_rating(resident, proposal)
    proposal.refresh_from_db()
    assert (proposal.support_tally, proposal.comment_tally) == (0, 0)


def test_recount_command_repairs_tallies():
    proposal = ProposalFactory(support_tally=40, comment_tally=7)
    RatingFactory(proposal=proposal)
    call_command("recount_proposals", verbosity=0)
    proposal.refresh_from_db()
    assert (proposal.support_tally, proposal.comment_tally) == (1, 0)
