"""Pabulib import, tally and export against the real shared files."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crowdsourcing.models import (
    Ballot,
    BallotKind,
    BallotPaper,
    BallotParticipation,
    BallotRule,
    Project,
    StageKind,
    Vote,
)
from crowdsourcing.services.pabulib import PabulibError, import_file
from crowdsourcing.tally import tally_ballot

DATA = Path("/work/shared/data/pabulib")
if not DATA.exists():  # the repository's own copy, when there is one
    DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pabulib"

SMALL_FILES = {
    "canada_stanford-dataset_pb-dieppe-2018_vote-approvals.pb": (
        BallotKind.APPROVAL,
        378,
    ),
    "poland_czestochowa_2024_bleszno.pb": (BallotKind.CUMULATIVE, 618),
    "us_stanford-dataset_pb-dieppe-2015_vote-rankings.pb": (BallotKind.RANKED, 680),
    "poland_wieliczka_2023_green-budget.pb": (BallotKind.APPROVAL, 6586),
    "poland_warszawa_2023_wesola.pb": (BallotKind.APPROVAL, 1181),
    "poland_poznan_2025_10-swierczewo-wilda-zielony-debiec-large.pb": (
        BallotKind.CHOOSE_ONE,
        2375,
    ),
}

pytestmark = pytest.mark.skipif(not DATA.exists(), reason="shared Pabulib data absent")


def official(path: Path) -> dict[str, dict[str, str]]:
    """Return the PROJECTS section of a file as the city published it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start, end = lines.index("PROJECTS"), lines.index("VOTES")
    rows = csv.DictReader(lines[start + 1 : end], delimiter=";")
    return {row["project_id"]: row for row in rows}


def assert_official(ballot: Ballot, path: Path) -> None:
    published = official(path)
    tally = tally_ballot(ballot)
    got = {option.external_id: option for option in tally.options}
    assert set(got) == set(published)
    assert {pid: got[pid].votes for pid in got} == {
        pid: int(row["votes"]) for pid, row in published.items()
    }
    if "score" in next(iter(published.values())):
        assert {pid: got[pid].score for pid in got} == {
            pid: int(row["score"]) for pid, row in published.items()
        }
    else:
        assert all(option.score == option.votes for option in tally.options)
    rule = ballot.source_meta.get("rule", "")
    if rule in ("greedy", "equalshares/add1"):
        expected = {pid for pid, row in published.items() if row["selected"] != "0"}
        assert {option.external_id for option in tally.selected} == expected


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SMALL_FILES))
def test_shared_file_tally_reproduces_official_results(name):
    """Votes, scores and (greedy, equal shares) winners equal the file's."""
    kind, voters = SMALL_FILES[name]
    result = import_file(DATA / name)
    ballot = result.ballot
    assert result.created
    assert ballot.kind == kind
    assert BallotParticipation.objects.filter(ballot=ballot).count() == voters
    assert BallotPaper.objects.filter(ballot=ballot).count() == voters
    assert tally_ballot(ballot).voters == voters
    assert_official(ballot, DATA / name)


@pytest.mark.django_db
def test_lodz_2022_ninety_thousand_ballots_reproduce_official_results():
    """Łódź 2022: 90,494 approval ballots, greedy; all official columns."""
    path = DATA / "poland_lodz_2022_.pb"
    ballot = import_file(path).ballot
    assert ballot.rule == BallotRule.GREEDY
    assert ballot.budget == 6112868
    assert ballot.max_choices == 5
    assert tally_ballot(ballot).voters == 90494
    assert_official(ballot, path)


@pytest.mark.django_db
def test_import_creates_project_in_results_stage_with_pseudonymous_voters():
    """The project is in results; voters are keys, not login accounts."""
    from crowdsourcing.models import User

    users_before = User.objects.count()
    ballot = import_file(
        DATA / "poland_czestochowa_2024_bleszno.pb", project_slug="bleszno"
    ).ballot
    project = Project.objects.get(slug="bleszno")
    assert ballot.project == project
    assert project.current_stage().kind == StageKind.RESULTS
    assert not ballot.is_open()
    assert ballot.max_points == 10
    assert ballot.budget == 329457
    assert User.objects.count() == users_before
    keys = set(BallotParticipation.objects.values_list("voter_key", flat=True))
    assert "74" in keys and len(keys) == 618
    assert set(ballot.options.values_list("external_id", flat=True)) >= {"565", "541"}


@pytest.mark.django_db
def test_import_twice_changes_nothing_and_prints_the_same_ballot():
    """A second import finds the ballot by the file's checksum."""
    path = DATA / "poland_poznan_2025_10-swierczewo-wilda-zielony-debiec-large.pb"
    out = io.StringIO()
    call_command("pabulib", "import", str(path), stdout=out, verbosity=0)
    first = int(out.getvalue())
    counts = (Ballot.objects.count(), Vote.objects.count())
    out = io.StringIO()
    call_command("pabulib", "import", str(path), stdout=out, stderr=io.StringIO())
    assert int(out.getvalue()) == first
    assert (Ballot.objects.count(), Vote.objects.count()) == counts


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["poland_czestochowa_2024_bleszno.pb", "poland_warszawa_2023_wesola.pb"]
)
def test_round_trip_import_export_import_gives_the_same_tally(name, tmp_path):
    """Export of an imported ballot imports back to the same tally."""
    out = io.StringIO()
    call_command("pabulib", "import", str(DATA / name), stdout=out, verbosity=0)
    first = Ballot.objects.get(pk=int(out.getvalue()))
    exported = tmp_path / "export.pb"
    call_command("pabulib", "export", str(first.pk), str(exported), verbosity=0)
    out = io.StringIO()
    call_command("pabulib", "import", str(exported), stdout=out, verbosity=0)
    second = Ballot.objects.get(pk=int(out.getvalue()))
    assert second.pk != first.pk
    assert second.kind == first.kind and second.rule == first.rule
    one, two = tally_ballot(first).as_json(), tally_ballot(second).as_json()
    one.pop("ballot"), two.pop("ballot")
    assert one == two


@pytest.mark.django_db
def test_ranked_round_trip_keeps_ranks(tmp_path):
    """Ranked papers export in rank order, so Borda scores survive."""
    name = "us_stanford-dataset_pb-dieppe-2015_vote-rankings.pb"
    first = import_file(DATA / name).ballot
    # description and instance are both "PB Dieppe 2015": named once.
    assert first.title == first.project.title == "PB Dieppe 2015"
    exported = tmp_path / "ranked.pb"
    call_command("pabulib", "export", str(first.pk), str(exported), verbosity=0)
    second = import_file(exported).ballot
    assert [o.score for o in tally_ballot(second).options] == [
        o.score for o in tally_ballot(first).options
    ]
    assert tally_ballot(second).options[0].score == 936


@pytest.mark.django_db
def test_export_names_no_voter(tmp_path):
    """Exported voter ids are 1..N, not the imported keys."""
    name = "poland_czestochowa_2024_bleszno.pb"
    ballot = import_file(DATA / name).ballot
    exported = tmp_path / "out.pb"
    call_command("pabulib", "export", str(ballot.pk), str(exported), verbosity=0)
    lines = exported.read_text(encoding="utf-8").splitlines()
    votes = lines[lines.index("VOTES") + 2 :]
    assert [line.split(";")[0] for line in votes] == [str(n) for n in range(1, 619)]


@pytest.mark.django_db
def test_tally_command_prints_the_documented_json():
    """``tally BALLOT --json`` prints exactly the issue's keys."""
    ballot = import_file(DATA / "poland_czestochowa_2024_bleszno.pb").ballot
    out = io.StringIO()
    call_command("tally", str(ballot.pk), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert list(data) == ["ballot", "kind", "rule", "budget", "voters", "options"]
    assert data["ballot"] == ballot.pk
    assert data["kind"] == "cumulative" and data["rule"] == "greedy"
    assert data["budget"] == 329457 and data["voters"] == 618
    assert data["options"][0] == {
        "external_id": "565",
        "votes": 182,
        "score": 1548,
        "selected": True,
    }


GOOD = """META
key;value
description;Test
num_projects;2
num_votes;2
budget;100
vote_type;{vote_type}
rule;greedy
{extra}PROJECTS
project_id;cost;votes;name;selected
A;60;2;Alpha;1
B;50;1;Beta;0
VOTES
voter_id;vote{points_header}
1;{vote1}
2;{vote2}
"""


def write(tmp_path, text) -> Path:
    path = tmp_path / "bad.pb"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "line", "fragment"),
    [
        ({"vote2": "A,C"}, 16, "неизвестный проект C"),
        ({"vote2": "A,A"}, 16, "дважды"),
        ({"vote_type": "approval", "vote2": "B", "vote1": "A"}, None, None),
        (
            {
                "vote_type": "cumulative",
                "extra": "max_sum_points;10\n",
                "points_header": ";points",
                "vote1": "A,B;5,5",
                "vote2": "A,B;6,5",
            },
            17,
            "сумма баллов 11 больше допустимой (10)",
        ),
        (
            {"extra": "max_sum_cost;100\n", "vote2": "A,B"},
            17,
            "стоимость выбранного 110 больше допустимой (100)",
        ),
    ],
)
def test_malformed_file_is_refused_with_line_and_writes_nothing(
    tmp_path, fields, line, fragment
):
    """Unknown project, repeated project, points over the limit: refused."""
    values = {
        "vote_type": "approval",
        "extra": "",
        "points_header": "",
        "vote1": "A",
        "vote2": "B",
    }
    values.update(fields)
    path = write(tmp_path, GOOD.format(**values))
    if line is None:
        assert import_file(path).voters == 2
        return
    with pytest.raises(PabulibError) as error:
        import_file(path)
    assert error.value.line == line
    assert fragment in str(error.value)
    assert str(error.value).startswith(f"Строка {line}:")
    assert Ballot.objects.count() == 0 and Project.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_voter_and_bad_section_are_refused(tmp_path):
    """A voter twice, or an unknown section, names its line; nothing kept."""
    text = GOOD.format(
        vote_type="approval", extra="", points_header="", vote1="A", vote2="B"
    )
    path = write(tmp_path, text + "1;B\n")
    with pytest.raises(CommandError, match="Строка 17: голосующий 1 встречается"):
        call_command("pabulib", "import", str(path), verbosity=0)
    path = write(tmp_path, text.replace("PROJECTS\n", "PROJEKTY\n"))
    with pytest.raises(PabulibError, match="неизвестный раздел PROJEKTY") as error:
        import_file(path)
    assert error.value.line == 9
    path = write(tmp_path, text.replace("VOTES\n", "VOTES\nMETA\n"))
    with pytest.raises(PabulibError, match="не на своём месте") as error:
        import_file(path)
    assert error.value.line == 14
    assert Ballot.objects.count() == 0 and Vote.objects.count() == 0


@pytest.mark.django_db
def test_budgeted_ballot_round_trips_as_budgeted(tmp_path):
    """A budgeted ballot exports max_sum_cost and imports back budgeted."""
    text = GOOD.format(
        vote_type="approval",
        extra="max_sum_cost;100\n",
        points_header="",
        vote1="A",
        vote2="B",
    )
    first = import_file(write(tmp_path, text)).ballot
    assert (first.kind, first.budget) == (BallotKind.BUDGETED, 100)
    exported = tmp_path / "budgeted.pb"
    call_command("pabulib", "export", str(first.pk), str(exported), verbosity=0)
    assert "max_sum_cost;100\n" in exported.read_text(encoding="utf-8")
    second = import_file(exported).ballot
    assert (second.kind, second.budget) == (BallotKind.BUDGETED, 100)
    one, two = tally_ballot(first).as_json(), tally_ballot(second).as_json()
    one.pop("ballot"), two.pop("ballot")
    assert one == two
