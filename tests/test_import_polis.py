"""import_polis on the real Bowling Green export and on broken inputs."""

import csv
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from crowdsourcing.importers import ImportFileError, import_polis
from crowdsourcing.importers.datasets import (
    POLIS_BOWLING_GREEN_ATTRIBUTION,
    polis_bowling_green,
)
from crowdsourcing.models import (
    ImportedProposal,
    ModerationDecision,
    Project,
    Proposal,
    ProposalState,
    Rating,
    StageKind,
    User,
)
from search.engine import search
from search.query import SearchQuery

POLIS = polis_bowling_green()
needs_data = pytest.mark.skipif(
    not POLIS.is_dir(), reason="the shared data sets (../shared/data) are absent"
)


def _matrix_votes(published: set[str]) -> tuple[int, int]:
    """Count agree and disagree cells of published statements in the file."""
    agree = disagree = 0
    with (POLIS / "participants-votes.csv").open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = [i for i, name in enumerate(header) if name in published]
        for row in reader:
            for i in columns:
                agree += row[i] == "1"
                disagree += row[i] == "-1"
    return agree, disagree


@needs_data
@pytest.mark.django_db
def test_bowling_green_export_imports_every_statement_and_vote_once():
    """896 statements, 289 rejected and not public; a rerun adds nothing."""
    summary = import_polis(
        POLIS, project_slug="bowling-green", attribution=POLIS_BOWLING_GREEN_ATTRIBUTION
    )

    project = Project.objects.get(slug="bowling-green")
    assert project.attribution == POLIS_BOWLING_GREEN_ATTRIBUTION
    assert project.current_stage().kind == StageKind.DISCUSSION
    proposals = Proposal.objects.filter(project=project)
    assert proposals.count() == 896
    assert proposals.filter(state=ProposalState.REJECTED).count() == 289
    assert proposals.filter(state=ProposalState.PUBLISHED).count() == 607
    assert set(proposals.values_list("language", flat=True)) == {"en"}
    public = Proposal.objects.public().filter(project=project)
    assert public.count() == 607
    assert not public.filter(state=ProposalState.REJECTED).exists()
    assert Proposal.objects.listed().filter(project=project).count() == 607
    rejected_reasons = set(
        ModerationDecision.objects.filter(proposal__project=project).values_list(
            "reason__code", flat=True
        )
    )
    assert rejected_reasons == {"rejected-at-source"}
    assert ModerationDecision.objects.filter(proposal__project=project).count() == 289

    first = proposals.get(external_id="895")
    assert first.created_at == datetime.fromtimestamp(1518501496.471, tz=UTC)
    assert first.body.startswith("Smallhouse Rd (at Campbell Ln)")
    assert first.title == first.body
    assert ImportedProposal.objects.get(proposal=first).stored_support_count == 48
    long = proposals.get(external_id="29")
    assert long.title == (
        "The fact that there is not as much coverage about African American "
        "deaths from cocaine as there is about deaths in the white community "
        "from opioids…"
    )
    assert long.body.endswith("is evidence of institutionalized racism.")

    participants = User.objects.filter(email__endswith="@imported.invalid")
    assert participants.count() == 2031
    sample = participants.get(display_name="Участник Polis 1756")
    assert sample.is_pseudonymous and not sample.has_usable_password()
    assert first.author == sample

    published = set(
        proposals.filter(state=ProposalState.PUBLISHED).values_list(
            "external_id", flat=True
        )
    )
    agree, disagree = _matrix_votes(published)
    assert Rating.objects.filter(proposal__project=project, value=1).count() == agree
    assert (
        Rating.objects.filter(proposal__project=project, value=-1).count() == disagree
    )
    assert not Rating.objects.filter(proposal__state=ProposalState.REJECTED).exists()
    # No vote times in the export: a rating is dated at its statement.
    rating = Rating.objects.filter(proposal=first).first()
    assert rating.created_at == first.created_at
    # The file's agrees counter says 59 for #891; the matrix holds 57 rows.
    counted = Proposal.objects.with_counts().get(project=project, external_id="891")
    assert counted.support_count == 57
    assert any("211" in note for note in summary.notes)
    assert summary.rows_written == 2031 + 896 * 2 + 289 + agree + disagree

    # Search knows the 607 published statements and none of the rejected.
    call_command("search_index", "rebuild", no_progress=True)
    found = search(
        SearchQuery(filters={"type": "proposal", "project": str(project.pk)})
    )
    assert found.count == 607
    rejected = proposals.filter(state=ProposalState.REJECTED).first()
    words = " ".join(rejected.title.split()[:6])
    hits = search(SearchQuery(text=words, per_page=50)).hits
    assert rejected.pk not in {h.id for h in hits if h.type == "proposal"}
    client = Client()
    assert client.get(rejected.get_absolute_url()).status_code == 404
    assert (
        rejected.title
        not in client.get(f"/projects/{project.slug}/proposals/").content.decode()
    )

    again = import_polis(POLIS, project_slug="bowling-green")
    assert again.created_total == 0
    assert Proposal.objects.filter(project=project).count() == 896
    assert Rating.objects.filter(proposal__project=project).count() == agree + disagree
    assert User.objects.filter(email__endswith="@imported.invalid").count() == 2031


def _write_export(folder, comments=None, votes=None):
    folder.mkdir(exist_ok=True)
    (folder / "comments.csv").write_text(
        comments
        or "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,"
        "comment-body\n"
        '1518501496471,x,1,10,1,0,1,"Wider roads, please"\n'
        "1518501497471,x,0,11,0,1,-1,Spam spam spam\n"
        "1518501498471,x,2,10,0,0,0,Nobody has moderated this one yet\n",
        encoding="utf-8",
    )
    (folder / "participants-votes.csv").write_text(
        votes
        or "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2\n"
        "10,0,2,2,1,0,,1,0\n"
        "11,1,1,3,0,2,-1,-1,\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.django_db
def test_small_export_maps_moderation_and_votes(tmp_path):
    """1 is published, -1 rejected, 0 waits for a moderator; pass is none."""
    summary = import_polis(_write_export(tmp_path / "conv"), project_slug="conv")

    states = dict(
        Proposal.objects.filter(project__slug="conv").values_list(
            "external_id", "state"
        )
    )
    assert states == {
        "1": ProposalState.PUBLISHED,
        "0": ProposalState.REJECTED,
        "2": ProposalState.SUBMITTED,
    }
    ratings = sorted(
        Rating.objects.values_list(
            "proposal__external_id", "user__display_name", "value"
        )
    )
    # Only statement 1 is published: the -1 on rejected #0 and the pass of
    # participant 10 on #2 are not ratings.
    assert ratings == [("1", "Участник Polis 10", 1), ("1", "Участник Polis 11", -1)]
    assert summary.skipped["голоса «пропустить» (не оценка)"] == 1
    assert summary.skipped["голоса за неопубликованные высказывания"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("comments", "votes", "where"),
    [
        (
            "timestamp,comment-id,author-id,comment-body\n1,1,1,Hello there\n",
            None,
            "comments.csv, строка 1: нет столбца «moderated / mod»",
        ),
        (
            "timestamp,comment-id,author-id,moderated,comment-body\n"
            "1518501496471,1,10,1,Fine\n"
            "1518501496471,2,10,maybe,Not a number\n",
            None,
            "comments.csv, строка 3: в столбце «moderated» ожидалось целое число",
        ),
        (
            "timestamp,comment-id,author-id,moderated,comment-body\n"
            "1518501496471,1,10,1,Fine\n"
            "1518501496471,2,10,7,Seven is not a decision\n",
            None,
            "comments.csv, строка 3: moderated должно быть 1, 0 или -1",
        ),
        (
            None,
            "participant,0,1,2\n10,1,,\n11,1,2,\n",
            "participants-votes.csv, строка 3: в столбце «1» ожидалось 1, -1, 0",
        ),
        (
            None,
            "participant,0,1,7\n10,1,,\n",
            "participants-votes.csv, строка 1: столбцы 7 не соответствуют",
        ),
    ],
    ids=["missing-column", "bad-number", "bad-moderation", "bad-vote", "unknown-id"],
)
def test_malformed_export_is_refused_with_file_and_line(
    tmp_path, comments, votes, where
):
    """A broken file is named with its line and nothing at all is written."""
    users_before = User.objects.count()
    folder = _write_export(tmp_path / "bad", comments, votes)

    with pytest.raises(ImportFileError) as excinfo:
        import_polis(folder, project_slug="bad")

    assert str(excinfo.value).startswith(where)
    assert not Project.objects.filter(slug="bad").exists()
    assert Proposal.objects.count() == 0
    assert User.objects.count() == users_before


@pytest.mark.django_db
def test_command_refuses_bad_export_and_says_nothing_was_written(tmp_path):
    """The command turns the error into a CommandError with file and line."""
    folder = _write_export(
        tmp_path / "bad",
        votes="participant,0,1,2\n10,1,,\n11,1,,x\n",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_polis", str(folder), "--no-progress")
    assert "participants-votes.csv, строка 3" in str(excinfo.value)
    assert "Ничего не записано" in str(excinfo.value)
    assert Proposal.objects.count() == 0


@pytest.mark.django_db
def test_command_prints_summary_and_second_run_changes_nothing(tmp_path, capsys):
    """The summary lists what was created; a rerun reports nothing new."""
    folder = _write_export(tmp_path / "conv")
    call_command("import_polis", str(folder), "--project", "conv", "--language", "en")
    first = capsys.readouterr()
    assert "предложения: Опубликовано" in first.out
    assert "строк/с" in first.out
    assert "участники" in first.err  # the tqdm bar goes to stderr

    call_command("import_polis", str(folder), "--project", "conv", "--no-progress")
    second = capsys.readouterr()
    assert "всё уже было импортировано" in second.out
    assert Proposal.objects.count() == 3
