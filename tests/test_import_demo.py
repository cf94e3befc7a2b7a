"""load_demo: accounts, calendars around now, real-data projects, reset."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from crowdsourcing.demo import (
    BOWLING_GREEN_PROJECT,
    MADRID_PROJECT,
    ensure_demo_project,
    import_madrid,
    reset_demo_projects,
)
from crowdsourcing.importers import Progress, datasets
from crowdsourcing.models import Comment, Project, Proposal, StageKind, User


@pytest.mark.django_db
def test_load_demo_twice_without_data_duplicates_nothing(capsys):
    """A second run keeps one of each demo account and project."""
    call_command("load_demo", "--without-data", "--no-progress")
    call_command("load_demo", "--without-data", "--no-progress")
    out = capsys.readouterr().out
    assert "moderator@demo.crowd" in out
    assert User.objects.filter(email__endswith="@demo.crowd").count() == 9
    assert sorted(Project.objects.values_list("slug", flat=True)) == [
        "demo-budget-dvory",
        "demo-streets",
    ]


@pytest.mark.django_db
def test_load_demo_without_the_data_folder_says_so(tmp_path, capsys):
    """Without the shared data the demo still builds and names the folder."""
    call_command("load_demo", "--data-dir", str(tmp_path), "--no-progress")
    assert str(tmp_path) in capsys.readouterr().out
    assert not Project.objects.filter(slug=MADRID_PROJECT.slug).exists()


@pytest.mark.django_db
def test_demo_calendars_put_each_project_in_its_stage_now():
    """Madrid takes proposals and comments; Bowling Green is in review."""
    madrid, created = ensure_demo_project(MADRID_PROJECT)
    assert created
    now = timezone.now()
    assert madrid.current_stage(now).kind == StageKind.DISCUSSION
    assert madrid.is_stage_open(StageKind.PROPOSALS, now)
    assert not madrid.is_stage_open(StageKind.VOTING, now)

    bowling_green, _created = ensure_demo_project(BOWLING_GREEN_PROJECT)
    assert bowling_green.current_stage(now).kind == StageKind.EXPERT_SELECTION
    assert bowling_green.is_stage_open(StageKind.EXPERT_SELECTION, now)
    assert not bowling_green.is_stage_open(StageKind.PROPOSALS, now)
    assert bowling_green.questions.get().title.startswith("Что должно измениться")

    again, created = ensure_demo_project(MADRID_PROJECT)
    assert (again, created) == (madrid, False)


@pytest.mark.skipif(
    not datasets.decide_madrid()["proposals_2015_2019"].is_file(),
    reason="the shared data sets (../shared/data) are absent",
)
@pytest.mark.django_db
def test_madrid_demo_project_shows_attribution_and_reset_removes_it(client):
    """The page credits its source; reset deletes project and pseudonyms."""
    project, _created = ensure_demo_project(MADRID_PROJECT)
    import_madrid(project, datasets.shared_data_dir(), Progress(enabled=False))
    assert Proposal.objects.filter(project=project).count() == 80 + 2738
    assert Comment.objects.filter(proposal__project=project).count() == 5633

    page = client.get(project.get_absolute_url())
    assert page.status_code == 200
    assert "argrecsys/dgov-visual-analytics" in page.content.decode()
    assert "Что сделать, чтобы город стал удобнее для жизни?" in page.content.decode()

    assert reset_demo_projects() == 1
    assert not Proposal.objects.exists()
    assert not User.objects.filter(is_pseudonymous=True).exists()
