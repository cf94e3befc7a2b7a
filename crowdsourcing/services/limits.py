"""Per-resident rate limits on participation (settings.CROWD_RATE_LIMITS).

The counting is django-ratelimit's (a cache-based fixed window); the services
call ``check_rate`` before they write, so a script that skips the web views
is limited the same way. With the default local-memory cache each web
process counts on its own; production sets REDIS_URL so that all processes
share one count.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from . import ServiceError

logger = logging.getLogger(__name__)


class RateLimited(ServiceError):
    def __init__(self, message=None, code: str = "rate_limited"):
        super().__init__(
            message or _("Слишком много действий подряд. Попробуйте немного позже."),
            code,
        )


def _user_key(group, request) -> str:
    return str(request.user.pk)


def check_rate(user, action: str) -> None:
    """Count one ``action`` by ``user``; raise RateLimited over the limit."""
    rate = settings.CROWD_RATE_LIMITS.get(action)
    if not rate:
        return
    # django-ratelimit reads the user and method from a request; services
    # have none, so they give it the two attributes it looks at.
    stand_in = SimpleNamespace(user=user, method="POST", META={})
    if is_ratelimited(
        stand_in,
        group=f"crowd.{action}",
        key=_user_key,
        rate=rate,
        increment=True,
    ):
        logger.warning("Rate limit %s hit by user %s", action, user.pk)
        raise RateLimited()
