"""Pages checked in a real browser: axe finds no serious or critical issue."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from cms.demo import build_demo_pages
from crowdsourcing.demo import DEMO_PASSWORD
from crowdsourcing.models import ProposalState
from crowdsourcing.services.pabulib import import_file
from tests.factories import ProposalFactory

from .conftest import check_page, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_home_page_has_no_serious_accessibility_violations(
    browser, axe_source, live_server
):
    check_page(browser, axe_source, live_server.url + "/", "home")


def test_login_page_has_no_serious_accessibility_violations(
    browser, axe_source, live_server
):
    check_page(browser, axe_source, live_server.url + "/accounts/login/", "login")


PABULIB_FILE = Path("/work/shared/data/pabulib/poland_czestochowa_2024_bleszno.pb")
PROPOSAL_TITLE = "Безопасный переход у школы на Лесной улице"


@pytest.fixture
def site_with_content(db):
    """The demo accounts and projects, their pages, a discussed proposal,
    a finished Pabulib budget with its results page, and a search index."""
    from crowdsourcing.models import Ballot, Project, User
    from crowdsourcing.services.comments import add_comment

    call_command("load_demo", "--without-data", "--no-progress")
    streets = Project.objects.get(slug="demo-streets")
    author = User.objects.get(email="resident@demo.crowd")
    neighbour = User.objects.get(email="resident2@demo.crowd")
    proposal = ProposalFactory(
        question=streets.questions.get(position=2),
        author=author,
        title=PROPOSAL_TITLE,
        body="Нужен регулируемый пешеходный переход с островком безопасности "
        "у школы номер 5: дети перебегают четыре полосы.",
        state=ProposalState.PUBLISHED,
        published_at=timezone.now(),
    )
    first = add_comment(neighbour, proposal, "Поддерживаю, утром там опасно.")
    add_comment(author, proposal, "Спасибо! Добавлю фото перекрёстка.", parent=first)
    pages = {}
    if PABULIB_FILE.exists():
        finished = import_file(PABULIB_FILE, project_slug="a11y-czestochowa")
        pages["results_project"] = finished.ballot.project
    build_demo_pages(list(Project.objects.public().order_by("pk")))
    call_command("search_index", "rebuild", no_progress=True)
    return {
        "proposal": proposal,
        "ballot": Ballot.objects.get(project__slug="demo-budget-dvory"),
        **pages,
    }


def _heading(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "h1").text


def _body(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def test_home_page_with_projects_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    check_page(browser, axe_source, live_server.url + "/", "home-demo")
    assert "Удобные улицы" in _body(browser)


def test_project_page_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    url = live_server.url + "/projects/demo-streets/"
    check_page(browser, axe_source, url, "project")
    assert _heading(browser) == "Удобные улицы"
    assert "Где не хватает велосипедных дорожек?" in _body(browser)


def test_project_announcement_page_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    from cms.models import ProjectPage

    page = ProjectPage.objects.get(project__slug="demo-streets")
    assert page.url == "/proekty/demo-streets/"
    check_page(browser, axe_source, live_server.url + page.url, "project-page")
    assert _heading(browser) == "Удобные улицы"


def test_proposal_page_with_comments_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    proposal = site_with_content["proposal"]
    url = live_server.url + proposal.get_absolute_url()
    check_page(browser, axe_source, url, "proposal")
    assert _heading(browser) == PROPOSAL_TITLE
    text = _body(browser)
    assert "Поддерживаю, утром там опасно." in text
    assert "Спасибо! Добавлю фото перекрёстка." in text


def test_ballot_page_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    ballot = site_with_content["ballot"]
    check_page(browser, axe_source, live_server.url + f"/voting/{ballot.pk}/", "ballot")
    assert _heading(browser) == "Народный бюджет 2027"
    # An anonymous visitor is asked to sign in; the options come after that.
    assert "Войти, чтобы проголосовать" in _body(browser)


def test_ballot_page_signed_in_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    """The form a resident fills in, not the anonymous 'sign in to vote'."""
    from selenium.webdriver.common.by import By

    ballot = site_with_content["ballot"]
    browser.delete_all_cookies()
    login(browser, live_server.url, "resident@demo.crowd", DEMO_PASSWORD)
    try:
        url = live_server.url + f"/voting/{ballot.pk}/"
        check_page(browser, axe_source, url, "ballot-signed-in")
        assert len(browser.find_elements(By.CSS_SELECTOR, "input[name=option]")) == 6
    finally:
        browser.delete_all_cookies()


def test_results_page_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    from selenium.webdriver.common.by import By

    from cms.models import ResultsPage

    if "results_project" not in site_with_content:
        pytest.skip(f"{PABULIB_FILE} is missing")
    project = site_with_content["results_project"]
    assert project.ballots.get().is_closed
    page = ResultsPage.objects.get(project=project)
    check_page(browser, axe_source, live_server.url + page.url, "results")
    assert _heading(browser) == page.title
    voters = browser.find_element(By.CSS_SELECTOR, "[data-figure=voters]").text
    assert int(voters) == project.ballots.get().papers.count() > 0


def test_search_page_with_results_has_no_serious_violations(
    browser, axe_source, live_server, site_with_content
):
    from selenium.webdriver.common.by import By

    url = live_server.url + "/search/?q=переход"
    check_page(browser, axe_source, url, "search")
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "main a")]
    assert PROPOSAL_TITLE in links
