"""Editorial workflow: editors submit, moderators approve, rights stay apart."""

from datetime import timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, WorkflowState

from cms.models import NewsPage
from cms.setup import ensure_site_structure
from crowdsourcing import permissions
from crowdsourcing.models import ProposalState, StageKind

from .cms_helpers import add_news, project_in
from .factories import ProposalFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return ensure_site_structure()


def draft_news(site, title="Итоги голосования в Марьине", **kwargs):
    page = NewsPage(
        title=title,
        summary="Жители выбрали пять проектов.",
        body=[("text", "<p>Подробности.</p>")],
        live=False,
        **kwargs,
    )
    site.news.add_child(instance=page)
    page.save_revision()
    return page


def test_editor_may_edit_pages_but_not_publish_them(site, editor, moderator):
    page = draft_news(site)

    editor_perms = page.permissions_for_user(editor)
    moderator_perms = page.permissions_for_user(moderator)

    assert editor_perms.can_edit()
    assert not editor_perms.can_publish()
    assert moderator_perms.can_publish()


def test_editor_submits_and_moderator_approves(site, editor, moderator, client):
    """The page stays a draft until a moderator approves the workflow task."""
    page = draft_news(site)
    page.save_revision(user=editor)
    workflow = page.get_workflow()
    assert workflow is not None and workflow.name == "Moderators approval"

    state = workflow.start(page, editor)
    page.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not page.live
    assert client.get(page.url or "/novosti/x/").status_code == 404

    task_state = state.current_task_state
    task = task_state.task.specific
    assert [name for name, *_ in task.get_actions(page, editor)] == []
    assert "approve" in [name for name, *_ in task.get_actions(page, moderator)]

    task.on_action(task_state, moderator, "approve")

    page.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert page.live
    assert client.get(page.url).status_code == 200


def test_moderator_may_reject_with_a_comment(site, editor, moderator):
    page = draft_news(site)
    state = page.get_workflow().start(page, editor)
    task_state = state.current_task_state

    task_state.task.specific.on_action(
        task_state, moderator, "reject", comment="Уточните даты."
    )

    page.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not page.live


def test_scheduled_page_goes_live_only_at_its_time(site, client):
    """A page approved for the future is absent from the site and the feed
    until publish_scheduled runs after its time."""
    go_live = timezone.now() + timedelta(hours=2)
    page = draft_news(site, title="Голосование открывается", go_live_at=go_live)
    page.get_latest_revision().publish()

    page.refresh_from_db()
    assert not page.live
    assert "Голосование открывается" not in client.get("/feeds/news/").content.decode()

    call_command("publish_scheduled")
    page.refresh_from_db()
    assert not page.live

    later = go_live + timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        call_command("publish_scheduled")

    page.refresh_from_db()
    assert page.live
    assert "Голосование открывается" in client.get("/feeds/news/").content.decode()


def test_revisions_keep_history_and_allow_going_back(site, client):
    page = add_news(site.news, "Первая версия заголовка")
    page.title = "Вторая версия заголовка"
    page.save_revision().publish()
    assert page.revisions.count() == 2

    first = page.revisions.order_by("created_at", "pk").first()
    first.publish()

    page.refresh_from_db()
    assert page.title == "Первая версия заголовка"
    assert "Первая версия заголовка" in client.get(page.url).content.decode()


# Crowdsourcing records stay out of an editor's reach.

CROWD_MODELS = [
    model
    for model in apps.get_app_config("crowdsourcing").get_models()
    if model._meta.model_name != "user"
]


@pytest.mark.parametrize("model", CROWD_MODELS, ids=lambda m: m._meta.model_name)
def test_editor_holds_no_crowdsourcing_model_permission(editor, model):
    opts = model._meta
    for action in ("add", "change", "delete"):
        assert not editor.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


def test_editor_may_not_moderate_manage_or_report(editor):
    project = project_in(StageKind.RESULTS)
    proposal = ProposalFactory(
        question=QuestionFactory(project=project), state=ProposalState.WINNER
    )

    assert not permissions.can_moderate(editor, project)
    assert not permissions.can_manage_project(editor, project)
    assert not permissions.can_report_implementation(editor, proposal)
    assert not permissions.moderated_projects(editor).exists()
    assert not permissions.implementation_projects(editor).exists()


def test_department_staff_and_experts_have_no_page_rights(site, staff_member, expert):
    for user in (staff_member, expert):
        perms = site.news.permissions_for_user(user)
        assert not perms.can_edit()
        assert not perms.can_add_subpage()
        assert not perms.can_publish()


def test_page_explorer_is_closed_to_department_staff(client, site, staff_member):
    client.force_login(staff_member)

    response = client.get(f"/admin/pages/{site.news.pk}/edit/")

    assert response.status_code in (302, 403)


def test_editor_opens_the_page_editor(client, site, editor):
    client.force_login(editor)

    assert client.get(f"/admin/pages/{site.news.pk}/edit/").status_code == 200
    assert (
        client.get(f"/admin/pages/add/cms/newspage/{site.news.pk}/").status_code == 200
    )


def test_root_workflow_covers_every_page(site):
    for page in Page.objects.filter(depth__gte=2):
        assert page.specific.get_workflow().name == "Moderators approval"
