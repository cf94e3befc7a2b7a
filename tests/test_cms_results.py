"""The results page: every figure comes from the data."""

import re
import sys
import types
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import results
from cms.models import ResultsPage
from cms.setup import ensure_site_structure
from crowdsourcing.models import (
    CommentState,
    ImplementationPhoto,
    ProposalState,
    Rating,
    StageKind,
)

from .cms_helpers import add_project_page, add_results_page, project_in
from .factories import (
    CommentFactory,
    ImplementationUpdateFactory,
    ProposalFactory,
    QuestionFactory,
    UserFactory,
    make_image,
)

pytestmark = pytest.mark.django_db

S = ProposalState


@pytest.fixture
def site():
    return ensure_site_structure()


def support(proposal, user, value=1):
    return Rating.objects.create(
        proposal=proposal, user=user, value=value, created_at=timezone.now()
    )


def figures(html: str) -> dict[str, int]:
    return {
        name: int(value)
        for name, value in re.findall(r'data-figure="(\w+)">(\d+)<', html)
    }


@pytest.fixture
def finished_project():
    """A finished project with every kind of participation, public or not.

    People: anna and boris propose; vera comments; gleb supports; dina only
    supports a hidden proposal and writes a hidden comment, so she is not
    counted; boris also comments (counted once).
    """
    project = project_in(StageKind.RESULTS, title="Зелёный бюджет Марьина")
    question = QuestionFactory(project=project, title="Где посадить деревья?")
    anna, boris, vera, gleb, dina = (
        UserFactory(display_name=name)
        for name in ("Анна", "Борис", "Вера", "Глеб", "Дина")
    )
    winner = ProposalFactory(
        question=question, author=anna, state=S.WINNER, title="Аллея лип на Люблинской"
    )
    selected = ProposalFactory(
        question=question, author=boris, state=S.NOT_WINNER, title="Сквер у школы"
    )
    published = ProposalFactory(question=question, author=anna, state=S.PUBLISHED)
    hidden = ProposalFactory(question=question, author=boris, state=S.HIDDEN)
    ProposalFactory(question=question, author=boris, state=S.REJECTED)
    ProposalFactory(question=question, author=dina, state=S.DRAFT)
    CommentFactory(proposal=winner, author=vera)
    CommentFactory(proposal=winner, author=vera)
    CommentFactory(proposal=published, author=boris)
    CommentFactory(proposal=winner, author=dina, state=CommentState.HIDDEN)
    CommentFactory(proposal=hidden, author=dina)
    support(winner, gleb)
    support(selected, gleb)
    support(winner, vera)
    support(published, gleb, value=-1)
    support(hidden, dina)
    return types.SimpleNamespace(
        project=project,
        question=question,
        winner=winner,
        selected=selected,
        published=published,
        hidden=hidden,
    )


def test_participation_counts_only_public_contributions(finished_project):
    """Drafts are not sent; hidden and rejected proposals, hidden comments
    and anything on a hidden proposal count for nothing public."""
    figures_ = results.participation(finished_project.project)

    assert figures_ == results.Participation(
        proposals_sent=5,  # everything but the draft
        proposals_published=3,  # winner, not_winner, published
        proposers=2,  # anna, boris (dina only has a draft)
        comments=3,  # two by vera, one by boris; not the hidden ones
        commenters=2,
        supports=3,  # +1s on public proposals; the -1 is no support
        supporters=2,  # gleb, vera
        participants=4,  # anna, boris, vera, gleb
    )


def test_results_page_shows_the_computed_figures(client, site, finished_project):
    page = add_project_page(site.projects, finished_project.project)
    results_page = add_results_page(page)

    response = client.get(results_page.url)
    html = response.content.decode()

    expected = results.participation(finished_project.project)
    assert figures(html) == {
        "participants": expected.participants,
        "proposals_sent": expected.proposals_sent,
        "proposals_published": expected.proposals_published,
        "proposers": expected.proposers,
        "comments": expected.comments,
        "commenters": expected.commenters,
        "supports": expected.supports,
        "supporters": expected.supporters,
    }
    assert figures(html)["participants"] == 4


def test_figures_follow_the_data_without_editing_the_page(
    client, site, finished_project
):
    """A new public proposal changes the page at once: nothing is typed."""
    page = add_project_page(site.projects, finished_project.project)
    results_page = add_results_page(page)
    before = figures(client.get(results_page.url).content.decode())

    ProposalFactory(question=finished_project.question, state=S.PUBLISHED)

    after = figures(client.get(results_page.url).content.decode())
    assert after["proposals_published"] == before["proposals_published"] + 1
    assert after["participants"] == before["participants"] + 1


def test_selected_section_lists_proposals_that_passed_selection(
    client, site, finished_project
):
    page = add_project_page(site.projects, finished_project.project)
    html = client.get(add_results_page(page).url).content.decode()
    section = html[
        html.index('id="selected-heading"') : html.index('id="ballot-heading"')
    ]

    assert "Аллея лип на Люблинской" in section
    assert "Сквер у школы" in section
    assert finished_project.published.title not in section
    assert finished_project.hidden.title not in section


def test_ballot_section_waits_when_voting_is_not_installed(
    client, site, finished_project
):
    """Without the ballots module the section says results will follow."""
    page = add_project_page(site.projects, finished_project.project)
    html = client.get(add_results_page(page).url).content.decode()

    assert "Итоги голосования появятся после подсчёта" in html


def test_ballot_section_hides_a_running_count_while_voting(client, site):
    project = project_in(StageKind.VOTING)
    page = add_project_page(site.projects, project)
    html = client.get(add_results_page(page).url).content.decode()

    assert "Голосование идёт." in html


@pytest.fixture
def fake_voting(monkeypatch):
    """Stand-ins for crowdsourcing.models.ballots and crowdsourcing.tally,
    shaped like the interface the voting work promises."""
    ns = types.SimpleNamespace

    class FakeBallot(ns):
        def __str__(self):
            return self.title

        def is_closed(self):
            return True

    ballots = {}

    class Manager:
        def filter(self, project):
            class QS(list):
                def order_by(self, *args):
                    return self

            return QS(ballots.get(project.pk, []))

    ballot_module = types.ModuleType("crowdsourcing.models.ballots")
    ballot_module.Ballot = ns(objects=Manager())
    tally_module = types.ModuleType("crowdsourcing.tally")

    def tally_ballot(ballot):
        return ns(ballot_id=ballot.pk, voters=ballot.voters, options=ballot.rows)

    tally_module.tally_ballot = tally_ballot
    tally_module.closed_ballot_tally = tally_ballot
    monkeypatch.setitem(sys.modules, "crowdsourcing.models.ballots", ballot_module)
    monkeypatch.setitem(sys.modules, "crowdsourcing.tally", tally_module)

    def add(project, title, voters, rows):
        options = [
            ns(
                title=t,
                external_id=str(i),
                votes=v,
                score=s,
                selected=sel,
            )
            for i, (t, v, s, sel) in enumerate(rows)
        ]
        ballot = FakeBallot(
            pk=len(ballots) + 1, title=title, voters=voters, rows=options
        )
        ballots.setdefault(project.pk, []).append(ballot)
        return ballot

    return add


def test_ballot_section_shows_each_tally_ranked_by_score(
    client, site, finished_project, fake_voting
):
    fake_voting(
        finished_project.project,
        "Голосование по озеленению",
        618,
        [("Сквер у школы", 120, 120, False), ("Аллея лип", 301, 301, True)],
    )
    page = add_project_page(site.projects, finished_project.project)
    html = client.get(add_results_page(page).url).content.decode()

    assert (
        "Голосование по озеленению — проголосовали: "
        '<span data-figure="voters">618</span>'
    ) in html
    table = html[html.index('data-ballot="1"') :]
    assert table.index("Аллея лип") < table.index("Сквер у школы")
    assert "<td>Аллея лип</td><td>301</td><td>301</td>" in table
    assert "Итоги голосования появятся после подсчёта" not in html


def test_winners_show_implementation_status_updates_and_photos(
    client, site, finished_project
):
    winner = finished_project.winner
    ImplementationUpdateFactory(
        proposal=winner,
        status="planned",
        happened_on=date(2026, 3, 1),
        note="Проект посадки согласован с управой.",
    )
    update = ImplementationUpdateFactory(
        proposal=winner,
        status="in_progress",
        happened_on=date(2026, 4, 15),
        note="Высажены первые сорок лип.",
    )
    ImplementationPhoto.objects.create(
        update=update, image=make_image("Липы"), caption="Посадка у дома 12"
    )
    page = add_project_page(site.projects, finished_project.project)

    html = client.get(add_results_page(page).url).content.decode()
    section = html[html.index('id="winners-heading"') :]

    assert "Аллея лип на Люблинской" in section
    assert "Сквер у школы" not in section  # not a winner
    assert 'data-status="in_progress"' in section
    assert "15 апреля 2026" in section
    assert section.index("Высажены первые сорок лип.") < section.index(
        "Проект посадки согласован с управой."
    )
    assert "Посадка у дома 12" in section


def test_results_queries_do_not_grow_with_the_number_of_winners(finished_project):
    """Gathering the page runs the same queries for 1 or 6 winners."""

    def count():
        with CaptureQueriesContext(connection) as ctx:
            gathered = results.gather(finished_project.project)
            for proposal in gathered.winners:
                for update in proposal.implementation_updates.all():
                    list(update.photos.all())
        return len(ctx.captured_queries)

    for _ in range(2):
        ImplementationUpdateFactory(proposal=finished_project.winner)
    few = count()
    for _ in range(5):
        winner = ProposalFactory(question=finished_project.question, state=S.WINNER)
        ImplementationUpdateFactory(proposal=winner)
    assert count() == few == 16


def test_results_page_speaks_english_when_chosen(client, site, finished_project):
    page = add_project_page(site.projects, finished_project.project)
    results_page = add_results_page(page)
    client.cookies["django_language"] = "en"

    html = client.get(results_page.url).content.decode()

    assert "Participation" in html
    assert "Voting results will appear after the count" in html


PABULIB = Path(__file__).resolve().parents[2] / "shared" / "data" / "pabulib"


@pytest.mark.skipif(not PABULIB.is_dir(), reason="../shared/data is not beside")
def test_results_page_shows_the_real_tally_of_an_imported_ballot(client, site):
    """Every figure of the ballot table equals tally_ballot's, row by row."""
    import re

    from cms.demo import build_demo_pages
    from crowdsourcing.services.pabulib import import_file
    from crowdsourcing.tally import tally_ballot

    result = import_file(PABULIB / "poland_czestochowa_2024_bleszno.pb")
    project = result.ballot.project
    build_demo_pages([project])
    tally = tally_ballot(result.ballot)

    page = ResultsPage.objects.get(project=project)
    html = client.get(page.url).content.decode()

    assert '<span data-figure="voters">618</span>' in html
    assert tally.voters == 618
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(\d+)</td><td>(\d+)</td>\s*<td>(.*?)</td></tr>",
        html,
        flags=re.S,
    )
    shown = {
        title: (int(votes), int(score), "badge-ok" in mark)
        for title, votes, score, mark in rows
    }
    expected = {o.title: (o.votes, o.score, o.selected) for o in tally.options}
    assert shown == expected
    assert sum(1 for v in shown.values() if v[2]) == len(tally.selected) > 0
