"""Pages checked in a real browser: axe finds no serious or critical issue."""

import pytest

from .conftest import check_page

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
