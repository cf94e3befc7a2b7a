"""Each demo role does its main job through the real pages in chromium.

The demo accounts come from ``load_demo --without-data``; every step ends
with a screenshot in tests/artifacts/screenshots/walkthrough-<step>.png.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from crowdsourcing.demo import DEMO_PASSWORD, OPEN_BALLOT_OPTIONS
from crowdsourcing.models import (
    Ballot,
    BallotParticipation,
    ExpertAssignment,
    Project,
    Proposal,
    ProposalState,
    StageKind,
    User,
)

from .conftest import SCREENSHOTS, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 15


def _by():
    from selenium.webdriver.common.by import By

    return By


def wait_for(driver, condition, timeout=WAIT):
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    # While a new page loads, elements of the old one vanish under the probe.
    ignored = (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(condition)


def shot(driver, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"walkthrough-{step}.png"))


def text_of(driver) -> str:
    return driver.find_element(_by().TAG_NAME, "body").text


def sign_in(driver, base_url: str, email: str) -> None:
    """Log in through the form as a fresh visitor and check it worked."""
    driver.set_window_size(1366, 900)
    driver.delete_all_cookies()
    login(driver, base_url, email, DEMO_PASSWORD)
    wait_for(driver, lambda d: "/accounts/login/" not in d.current_url)
    user = User.objects.get(email=email)
    assert driver.get_cookie("sessionid"), f"no session after logging in as {email}"
    return user


def sign_out(driver) -> None:
    driver.delete_all_cookies()


def click(driver, element) -> None:
    """Scroll the element to the middle of the window (clear of sticky bars)."""
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element
    )
    element.click()


def select(driver, name: str, visible_text: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(_by().NAME, name)).select_by_visible_text(visible_text)


def admin_sign_in(driver, base_url: str, email: str) -> None:
    by = _by()
    driver.delete_all_cookies()
    driver.set_window_size(1366, 900)
    driver.get(base_url + "/admin/")
    wait_for(driver, lambda d: "/admin/login/" in d.current_url)
    driver.find_element(by.NAME, "username").send_keys(email)
    driver.find_element(by.NAME, "password").send_keys(DEMO_PASSWORD)
    driver.find_element(by.CSS_SELECTOR, "form [type=submit]").click()
    wait_for(driver, lambda d: "/admin/login/" not in d.current_url)


@pytest.fixture
def demo(db):
    call_command("load_demo", "--without-data", "--no-progress")


PROPOSAL_TITLE = "Велодорожка вдоль Садовой улицы до парка"
PROPOSAL_BODY = (
    "Предлагаю выделить велодорожку вдоль Садовой улицы от станции метро до "
    "входа в парк: сейчас велосипедисты едут по тротуару между пешеходами."
)


def test_resident_proposes_and_moderator_publishes(browser, live_server, demo):
    by = _by()
    base = live_server.url

    # Resident: project page → proposal form → "Мои предложения".
    sign_in(browser, base, "resident@demo.crowd")
    browser.get(base + "/projects/demo-streets/")
    assert "Удобные улицы" in browser.find_element(by.TAG_NAME, "h1").text
    browser.find_element(by.LINK_TEXT, "Подать предложение").click()
    wait_for(browser, lambda d: d.current_url.endswith("/propose/"))
    select(browser, "question", "Где не хватает велосипедных дорожек?")
    browser.find_element(by.NAME, "title").send_keys(PROPOSAL_TITLE)
    browser.find_element(by.NAME, "body").send_keys(PROPOSAL_BODY)
    browser.find_element(by.CSS_SELECTOR, "button[name=submit]").click()
    wait_for(browser, lambda d: d.current_url.endswith("/my/proposals/"))
    card = browser.find_element(
        by.XPATH,
        f"//li[contains(@class,'card')][.//a[normalize-space()='{PROPOSAL_TITLE}']]",
    )
    assert "Удобные улицы · Где не хватает велосипедных дорожек?" in card.text
    assert card.find_element(by.CSS_SELECTOR, ".badge").text == "На модерации"
    proposal = Proposal.objects.get(title=PROPOSAL_TITLE)
    assert proposal.state == ProposalState.SUBMITTED
    assert proposal.body == PROPOSAL_BODY
    assert proposal.author.email == "resident@demo.crowd"
    shot(browser, "resident-proposal")

    # Not public yet: an anonymous visitor gets no page.
    sign_out(browser)
    browser.get(base + proposal.get_absolute_url())
    assert PROPOSAL_TITLE not in text_of(browser)

    # Moderator: the Wagtail moderation queue → the proposal → publish.
    sign_in(browser, base, "moderator@demo.crowd")
    browser.get(base + "/admin/moderation/")
    row = browser.find_element(
        by.XPATH, f"//tr[.//a[normalize-space()='{PROPOSAL_TITLE}']]"
    )
    assert "Жительница Анна" in row.text
    row.find_element(by.LINK_TEXT, PROPOSAL_TITLE).click()
    wait_for(
        browser,
        lambda d: f"/admin/moderation/proposals/{proposal.pk}/" in d.current_url,
    )
    select(browser, "action", "Опубликовать")
    browser.find_element(
        by.XPATH, "//button[normalize-space()='Применить решение']"
    ).click()
    wait_for(browser, lambda d: "Решение сохранено" in text_of(d))
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PUBLISHED
    # The live server runs in this process: its mail lands in the locmem outbox.
    told = [m for m in mail.outbox if m.to == ["resident@demo.crowd"]]
    assert [m.subject for m in told] == [
        f"Решение по вашему предложению «{PROPOSAL_TITLE}»"
    ]
    assert proposal.get_absolute_url() in told[0].body
    shot(browser, "moderator-publish")

    # Anonymous visitor reads it at its URL.
    sign_out(browser)
    browser.get(base + proposal.get_absolute_url())
    assert browser.find_element(by.TAG_NAME, "h1").text == PROPOSAL_TITLE
    assert PROPOSAL_BODY in text_of(browser)
    shot(browser, "anonymous-reads-proposal")


def test_expert_submits_a_review(browser, live_server, demo):
    from crowdsourcing.models import Criterion, ProjectStage
    from crowdsourcing.services import reviews
    from tests.factories import ProposalFactory, QuestionFactory

    by = _by()
    base = live_server.url
    operator = User.objects.get(email="operator@demo.crowd")
    expert = User.objects.get(email="expert@demo.crowd")
    project = Project.objects.get(slug="demo-streets")
    now = timezone.now()
    # Move the calendar so that expert selection is open today.
    ProjectStage.objects.filter(project=project).delete()
    for kind, start, end in (
        (StageKind.PROPOSALS, -30, -10),
        (StageKind.DISCUSSION, -30, -5),
        (StageKind.EXPERT_SELECTION, -5, 10),
        (StageKind.VOTING, 10, 20),
        (StageKind.RESULTS, 20, 400),
    ):
        ProjectStage.objects.create(
            project=project,
            kind=kind,
            starts_at=now + timedelta(days=start),
            ends_at=now + timedelta(days=end),
        )
    for name, weight in (("Польза для жителей", 2), ("Реализуемость", 1)):
        reviews.add_criterion(project, actor=operator, name=name, weight=weight)
    question = QuestionFactory(project=project, title="Где поставить скамейки?")
    proposal = ProposalFactory(
        question=question,
        title="Скамейки вдоль бульвара у школы",
        body="Поставить десять скамеек вдоль бульвара у школы номер 5, "
        "чтобы родителям было где подождать детей.",
        state=ProposalState.PUBLISHED,
        published_at=now,
    )
    assignment = reviews.assign_expert(
        proposal,
        expert,
        actor=operator,
        due_date=timezone.localdate() + timedelta(days=7),
    )

    sign_in(browser, base, "expert@demo.crowd")
    browser.get(base + "/expert/")
    assert browser.find_element(by.TAG_NAME, "h1").text == "Мои экспертизы"
    row = browser.find_element(
        by.XPATH, f"//tr[.//a[normalize-space()='{proposal.title}']]"
    )
    assert "Удобные улицы" in row.text
    row.find_element(by.LINK_TEXT, proposal.title).click()
    wait_for(
        browser, lambda d: d.find_element(by.TAG_NAME, "h1").text == proposal.title
    )
    criteria = list(Criterion.objects.filter(project=project).order_by("position"))
    values = {criteria[0].pk: "5", criteria[1].pk: "3"}
    for criterion in criteria:
        select(browser, f"score_{criterion.pk}", values[criterion.pk])
    select(browser, "recommendation", "Поддержать")
    justification = "Дёшево, быстро и полезно: у школы сейчас негде присесть."
    browser.find_element(by.NAME, "justification").send_keys(justification)
    browser.find_element(by.NAME, "no_conflict_declared").click()
    browser.find_element(by.CSS_SELECTOR, "button[name=submit]").click()
    wait_for(
        browser,
        lambda d: "Ваш отзыв (отправлен, изменить нельзя)" in text_of(d),
    )
    # Read-only: no form fields left on the review page.
    browser.get(base + f"/expert/reviews/{assignment.pk}/")
    page = text_of(browser)
    assert "Ваш отзыв (отправлен, изменить нельзя)" in page
    assert not browser.find_elements(by.NAME, "justification")
    assert justification in page
    assignment.refresh_from_db()
    review = assignment.review
    assert review.submitted_at is not None
    assert review.recommendation == "support"
    assert review.no_conflict_declared is True
    assert {s.criterion_id: s.value for s in review.scores.all()} == {
        criteria[0].pk: 5,
        criteria[1].pk: 3,
    }
    assert ExpertAssignment.objects.get(pk=assignment.pk).state == "submitted"
    shot(browser, "expert-review")


def test_resident_votes_within_the_budget(browser, live_server, demo):
    by = _by()
    base = live_server.url
    ballot = Ballot.objects.get(project__slug="demo-budget-dvory")
    sign_in(browser, base, "resident@demo.crowd")
    browser.get(base + "/projects/demo-budget-dvory/")
    browser.get(base + f"/voting/{ballot.pk}/")
    assert browser.find_element(by.TAG_NAME, "h1").text == "Народный бюджет 2027"
    chosen = [
        "Детская площадка во дворе на Лесной улице",  # 1 800 000
        "Сквер с лавочками и тенью у поликлиники",  # 2 600 000
        "Велопарковки у станции метро",  # 400 000
    ]

    def tick(titles):
        for box in browser.find_elements(by.CSS_SELECTOR, "input[name=option]"):
            label = browser.find_element(
                by.CSS_SELECTOR, f"label[for='{box.get_attribute('id')}']"
            )
            if box.is_selected() != (label.text in titles):
                click(browser, box)

    # Everything together costs 7 650 000 ₽: over the budget, refused.
    tick([title for title, _cost in OPEN_BALLOT_OPTIONS])
    # The live counter (cms/static/js/ballot.js) says so before any submit.
    status = browser.find_element(by.CSS_SELECTOR, '[data-status="budget"]')
    wait_for(browser, lambda d: "превышен" in status.text)
    counted = "".join(ch for ch in status.text if not ch.isspace())
    assert "превышенна2650000₽" in counted, status.text
    browser.find_element(by.CSS_SELECTOR, "button[value=confirm]").click()
    alert = wait_for(
        browser, lambda d: d.find_element(by.CSS_SELECTOR, ".message-error")
    )
    digits = "".join(ch for ch in alert.text if not ch.isspace())
    assert "стоят7650000" in digits and "бюджет—5000000" in digits, alert.text
    assert not BallotParticipation.objects.filter(ballot=ballot).exists()
    shot(browser, "vote-over-budget")

    tick(chosen)
    browser.find_element(by.CSS_SELECTOR, "button[value=confirm]").click()
    wait_for(
        browser,
        lambda d: d.find_element(by.TAG_NAME, "h1").text == "Проверьте свой выбор",
    )
    listed = [
        li.text for li in browser.find_elements(by.CSS_SELECTOR, ".ballot-choices li")
    ]
    assert len(listed) == 3
    for title in chosen:
        assert any(item.startswith(title) for item in listed), listed
    shot(browser, "vote-confirm")
    browser.find_element(by.CSS_SELECTOR, "button[value=cast]").click()
    wait_for(
        browser, lambda d: d.find_element(by.TAG_NAME, "h1").text == "Ваш голос принят"
    )
    assert "/receipt/" in browser.current_url
    code = browser.find_element(by.CSS_SELECTOR, ".receipt-code").text
    assert len(code) >= 8
    receipt_choices = [
        li.text for li in browser.find_elements(by.CSS_SELECTOR, ".ballot-choices li")
    ]
    assert sorted(receipt_choices) == sorted(chosen)
    assert BallotParticipation.objects.filter(ballot=ballot).count() == 1
    shot(browser, "vote-receipt")


NEWS_TITLE = "Открыт приём идей для удобных улиц"
NEWS_SUMMARY = "Департамент транспорта ждёт предложения о велодорожках и переходах."
NEWS_TEXT = (
    "Предложения принимаются на странице проекта «Удобные улицы» до конца этапа."
)


def test_editor_submits_news_and_moderator_approves(browser, live_server, demo):
    from selenium.webdriver.common.action_chains import ActionChains

    from cms.models import NewsIndexPage, NewsPage
    from cms.setup import ensure_site_structure

    by = _by()
    base = live_server.url
    ensure_site_structure()
    news_index = NewsIndexPage.objects.get()

    # Editor: log in through the Wagtail admin's own form.
    admin_sign_in(browser, base, "editor@demo.crowd")

    browser.get(base + f"/admin/pages/{news_index.pk}/")
    browser.find_element(
        by.CSS_SELECTOR, f"a[href='/admin/pages/{news_index.pk}/add_subpage/']"
    ).click()
    wait_for(browser, lambda d: "/add/cms/newspage/" in d.current_url)
    browser.find_element(by.NAME, "title").send_keys(NEWS_TITLE)
    browser.find_element(by.NAME, "summary").send_keys(NEWS_SUMMARY)
    click(browser, browser.find_element(by.CSS_SELECTOR, "button.c-sf-add-button"))
    wait_for(
        browser,
        lambda d: d.find_elements(
            by.XPATH, "//*[@role='option'][normalize-space()='Текст']"
        ),
    )
    browser.find_element(
        by.XPATH, "//*[@role='option'][normalize-space()='Текст']"
    ).click()
    editor = wait_for(
        browser,
        lambda d: next(
            (
                e
                for e in d.find_elements(by.CSS_SELECTOR, ".public-DraftEditor-content")
                if e.is_displayed()
            ),
            None,
        ),
    )
    click(browser, editor)
    ActionChains(browser).send_keys(NEWS_TEXT).perform()
    # Draftail saves into its hidden input a moment after the last key.
    wait_for(
        browser,
        lambda d: any(
            "до конца этапа" in (i.get_attribute("value") or "")
            for i in d.find_elements(by.CSS_SELECTOR, "input[name^='body-']")
        ),
    )
    browser.find_element(
        by.CSS_SELECTOR, "footer .w-dropdown__toggle, .footer .w-dropdown__toggle"
    ).click()
    browser.find_element(by.NAME, "action-submit").click()
    wait_for(browser, lambda d: "/add/cms/newspage/" not in d.current_url)
    open("/tmp/after.html", "w").write(browser.page_source)
    shot(browser, "editor-submitted-news")
    page = NewsPage.objects.get(title=NEWS_TITLE)
    assert not page.live
    assert page.summary == NEWS_SUMMARY
    assert NEWS_TEXT in str(page.get_latest_revision_as_object().body[0].value)
    workflow_state = page.current_workflow_state
    assert workflow_state is not None and workflow_state.status == "in_progress"

    # Not on the site yet.
    sign_out(browser)
    browser.get(base + "/")
    assert NEWS_TITLE not in text_of(browser)

    # Moderator: the dashboard lists the page awaiting review; approve it.
    admin_sign_in(browser, base, "moderator@demo.crowd")
    browser.get(base + "/admin/")
    link = browser.find_element(by.PARTIAL_LINK_TEXT, NEWS_TITLE)
    click(browser, link)
    wait_for(browser, lambda d: f"/admin/pages/{page.pk}/edit/" in d.current_url)
    approve = browser.find_element(
        by.CSS_SELECTOR,
        "button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])",
    )
    if not approve.is_displayed():
        browser.find_element(by.CSS_SELECTOR, "footer .w-dropdown__toggle").click()
    click(browser, approve)
    wait_for(browser, lambda d: NewsPage.objects.get(pk=page.pk).live, timeout=WAIT)
    shot(browser, "moderator-approves-news")
    page.refresh_from_db()
    assert page.live
    assert page.current_workflow_state is None

    # The news is on the site for everybody.
    sign_out(browser)
    browser.get(base + page.url)
    assert browser.find_element(by.TAG_NAME, "h1").text == NEWS_TITLE
    assert NEWS_TEXT in text_of(browser)
    browser.get(base + news_index.url)
    assert NEWS_TITLE in text_of(browser)
    shot(browser, "news-on-site")
