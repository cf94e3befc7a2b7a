"""Helpers shared by the participation tests (tests/test_participation_*)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.utils import timezone
from guardian.shortcuts import assign_perm

from crowdsourcing.models import StageKind
from crowdsourcing.roles import Role

from .factories import ProjectFactory, UserFactory


def only_stage_open(kind: str, **kwargs):
    """A project whose ``kind`` stage is open now and every other is not.

    Earlier stages lie in the past and later ones in the future, in order.
    """
    now = timezone.now()
    position = StageKind.order(kind)
    stages = {}
    for other in StageKind.values:
        offset = StageKind.order(other) - position
        start = now + timedelta(days=10 * offset) - timedelta(days=1)
        stages[other] = (start, start + timedelta(days=2))
    return ProjectFactory(stages=stages, **kwargs)


def make_moderator(project, email: str | None = None):
    user = UserFactory(roles=[Role.MODERATOR], **({"email": email} if email else {}))
    assign_perm("crowdsourcing.moderate_project", user, project)
    return user


class _LiveMarkupFinder(HTMLParser):
    """Collect elements and attributes that would act in a browser."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "formaction") and (
                value.startswith("javascript:")
            ):
                self.found.append(f"{tag}[{name}={value}]")
            # A resident's http(s) address may become a link, never a form.
            if name in ("action", "formaction") and "evil.example" in value:
                self.found.append(f"{tag}[{name}={value}]")
        if tag == "img":
            self.found.append("img")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.found.append("script")


def live_markup(html: str) -> list[str]:
    """Return what in ``html`` a browser would run or submit from an attack."""
    finder = _LiveMarkupFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache; start every test at zero."""
    cache.clear()
    yield
    cache.clear()
