"""Notification e-mails: once, after commit, never on rollback, opt-out kept."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from crowdsourcing.models import FollowerNotice, ProjectFollow, StageKind
from crowdsourcing.notifications import notify
from crowdsourcing.services.followers import send_results_notice, send_stage_notices

from .factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed_project(resident):
    now = timezone.now()
    project = ProjectFactory(
        title="Зелёный двор",
        stages={
            StageKind.PROPOSALS: (now - timedelta(days=10), now - timedelta(hours=1)),
            StageKind.DISCUSSION: (now - timedelta(hours=1), now + timedelta(days=5)),
        },
    )
    ProjectFollow.objects.create(user=resident, project=project)
    return project


def test_a_new_stage_is_told_to_followers_once(
    followed_project, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_stage_notices() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_stage_notices() == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [resident.email]
    assert message.subject == "«Зелёный двор»: начался этап «Обсуждение»"
    assert "начался этап «Обсуждение»" in message.body
    html = message.alternatives[0][0]
    assert "/me/settings/" in html
    assert FollowerNotice.objects.filter(user=resident).count() == 1


def test_stage_notice_respects_the_opt_out(
    followed_project, resident, django_capture_on_commit_callbacks
):
    resident.notify_stages = False
    resident.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_stage_notices() == 0
    assert mail.outbox == []


def test_results_notice_goes_once_per_page(
    followed_project, django_capture_on_commit_callbacks
):
    other = UserFactory()
    ProjectFollow.objects.create(user=other, project=followed_project)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_results_notice(followed_project, 42, "/itogi/") == 2
        assert send_results_notice(followed_project, 42, "/itogi/") == 0
    assert len(mail.outbox) == 2
    assert mail.outbox[0].subject == "Опубликованы итоги проекта «Зелёный двор»"


def test_no_email_when_the_transaction_rolls_back(
    resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify(
                    resident,
                    "project_results",
                    {"project_title": "X", "results_url": "/"},
                    kind="results",
                )
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []


def test_subject_is_not_html_escaped(resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            resident,
            "project_results",
            {"project_title": "Парк & сквер <дети>", "results_url": "/"},
            kind="results",
        )
    assert mail.outbox[0].subject == "Опубликованы итоги проекта «Парк & сквер <дети>»"
    assert "Парк & сквер <дети>" in mail.outbox[0].body
    assert "Парк &amp; сквер &lt;дети&gt;" in mail.outbox[0].alternatives[0][0]


def test_publishing_a_results_page_tells_followers_once(
    followed_project, resident, django_capture_on_commit_callbacks
):
    from cms.models import ProjectPage, ResultsPage
    from cms.setup import ensure_site_structure

    skeleton = ensure_site_structure()
    project_page = ProjectPage(
        title="Зелёный двор", slug="zd", project=followed_project
    )
    skeleton.projects.add_child(instance=project_page)
    results = ResultsPage(title="Итоги", slug="itogi", project=followed_project)
    project_page.add_child(instance=results)

    with django_capture_on_commit_callbacks(execute=True):
        results.save_revision().publish()
    with django_capture_on_commit_callbacks(execute=True):
        results.save_revision().publish()

    assert [m.subject for m in mail.outbox] == [
        "Опубликованы итоги проекта «Зелёный двор»"
    ]
    assert "/itogi/" in mail.outbox[0].body
