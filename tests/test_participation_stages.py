"""Stage windows at their edges, in Moscow time, with USE_TZ on."""

from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from crowdsourcing.models import ProjectStage, Proposal, ProposalState, StageKind
from crowdsourcing.services import StageClosed
from crowdsourcing.services import proposals as proposal_services

from .factories import ProjectFactory, QuestionFactory, UserFactory
from .participation import fresh_rate_limits  # noqa: F401

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
# The proposals stage runs 1–10 December 2026 in Moscow, both days included.
OPENS = datetime(2026, 12, 1, 0, 0, 0, tzinfo=MSK)
CLOSES = datetime(2026, 12, 11, 0, 0, 0, tzinfo=MSK)
LAST_SECOND = datetime(2026, 12, 10, 23, 59, 59, tzinfo=MSK)
BODY = "Отремонтировать дорожки в сквере у школы и поставить там фонари."


@pytest.fixture
def project():
    return ProjectFactory(stages={StageKind.PROPOSALS: (OPENS, CLOSES)})


def test_settings_use_moscow_time_zone():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Europe/Moscow"


def test_window_is_stored_in_utc(project):
    """Midnight in Moscow is 21:00 UTC the day before."""
    stage = ProjectStage.objects.get(project=project)
    assert stage.ends_at == datetime(2026, 12, 10, 21, 0, 0, tzinfo=UTC)
    assert stage.last_moment.astimezone(MSK) == LAST_SECOND


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (datetime(2026, 11, 30, 23, 59, 59, tzinfo=MSK), False),
        (OPENS, True),
        (LAST_SECOND, True),
        (CLOSES, False),
    ],
)
def test_submission_at_the_edges(project, moment, accepted):
    """23:59:59 on the last day is accepted; 00:00:00 the next day is not."""
    question = QuestionFactory(project=project)
    author = UserFactory()
    submit = lambda: proposal_services.create_proposal(  # noqa: E731
        author,
        project,
        question=question,
        title="Дорожки и фонари в сквере",
        body=BODY,
        submit=True,
        at=moment,
    )
    if accepted:
        proposal = submit()
        assert proposal.state == ProposalState.SUBMITTED
        assert proposal.submitted_at == moment
    else:
        with pytest.raises(StageClosed) as refused:
            submit()
        assert str(refused.value) == (
            "Этап «Подача предложений» сейчас закрыт: действие недоступно."
        )
        assert Proposal.objects.count() == 0


@pytest.mark.parametrize(("moment", "status"), [(LAST_SECOND, 302), (CLOSES, 403)])
def test_form_follows_the_clock(client, project, moment, status):
    """The web form, with the clock set to the edge, opens and closes too."""
    question = QuestionFactory(project=project)
    client.force_login(UserFactory())
    # The participation code reads the clock; sessions keep the real one.
    clock = SimpleNamespace(now=lambda: moment)
    with (
        mock.patch("crowdsourcing.models.projects.timezone", clock),
        mock.patch("crowdsourcing.services.proposals.timezone", clock),
    ):
        response = client.post(
            f"/projects/{project.slug}/propose/",
            {
                "question": question.pk,
                "title": "Дорожки и фонари в сквере",
                "body": BODY,
                "submit": "1",
            },
        )
    assert response.status_code == status, response.get("Location")
    if status == 302:
        assert response["Location"] == "/my/proposals/"
    assert Proposal.objects.count() == (1 if status == 302 else 0)
    if status == 403:
        assert "Приём предложений в этом проекте сейчас не идёт" in (
            response.content.decode()
        )


def test_current_stage_follows_the_clock():
    """Overlapping stages: the later one is current; between windows the
    last started one stays."""
    project = ProjectFactory(
        stages={
            StageKind.PROPOSALS: (OPENS, CLOSES),
            StageKind.DISCUSSION: (
                datetime(2026, 12, 5, tzinfo=MSK),
                datetime(2026, 12, 20, tzinfo=MSK),
            ),
            StageKind.VOTING: (
                datetime(2027, 1, 10, tzinfo=MSK),
                datetime(2027, 1, 20, tzinfo=MSK),
            ),
        }
    )
    assert project.current_stage(datetime(2026, 11, 1, tzinfo=MSK)) is None
    assert project.current_stage(OPENS).kind == StageKind.PROPOSALS
    assert project.current_stage(LAST_SECOND).kind == StageKind.DISCUSSION
    assert project.current_stage(datetime(2027, 1, 1, tzinfo=MSK)).kind == (
        StageKind.DISCUSSION
    )
    assert (
        project.is_stage_open(StageKind.DISCUSSION, datetime(2027, 1, 1, tzinfo=MSK))
        is False
    )
