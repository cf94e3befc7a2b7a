import pytest

from crowdsourcing.roles import Role

from .factories import ProjectFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache.

    SQLite hands a rolled-back primary key out again, so a ballot snapshot or
    rate-limit count left by one test could otherwise be read by the next.
    """
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _russian_first():
    """Each test starts in Russian, the platform's first language.

    A request leaves its language active on the thread (LocaleMiddleware
    activates and never deactivates), so a test that asked for English
    would otherwise turn the next test's service messages English.
    """
    from django.utils import translation

    translation.activate("ru")
    yield
    translation.deactivate()


@pytest.fixture
def resident(db):
    return UserFactory(email="anna@example.org", display_name="Анна")


@pytest.fixture
def operator(db):
    return UserFactory(email="operator@example.org", roles=[Role.OPERATOR])


@pytest.fixture
def moderator(db):
    return UserFactory(email="moderator@example.org", roles=[Role.MODERATOR])


@pytest.fixture
def editor(db):
    return UserFactory(email="editor@example.org", roles=[Role.EDITOR])


@pytest.fixture
def staff_member(db):
    return UserFactory(email="staff@example.org", roles=[Role.DEPARTMENT_STAFF])


@pytest.fixture
def expert(db):
    return UserFactory(email="expert@example.org", roles=[Role.EXPERT])


@pytest.fixture
def project(db):
    return ProjectFactory()
