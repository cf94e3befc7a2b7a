"""Amounts of money as residents read them: «1 250 000 ₽», "RUB1,250,000".

Budgets and costs are whole units of a currency (the ballot's ISO 4217
code). Babel, from the Unicode CLDR data, knows each language's digit
grouping, where the sign goes and the sign itself (₽, zł, €); only the
kopecks are dropped, since no amount here has them.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import format_currency, format_decimal
from django.utils.translation import get_language, to_locale

FALLBACK_LOCALE = "ru"


@lru_cache(maxsize=32)
def _locale_and_pattern(language: str) -> tuple[Locale, str]:
    try:
        locale = Locale.parse(to_locale(language))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(FALLBACK_LOCALE)
    pattern = locale.currency_formats["standard"].pattern
    # "#,##0.00 ¤" → "#,##0 ¤": whole units only.
    return locale, pattern.split(";")[0].replace(".00", "")


def format_money(amount: int | None, currency: str = "") -> str:
    """Format ``amount`` of ``currency`` in the active language."""
    if amount is None:
        return ""
    locale, pattern = _locale_and_pattern(get_language() or FALLBACK_LOCALE)
    if not currency:
        return format_decimal(amount, locale=locale)
    return format_currency(
        amount, currency, locale=locale, format=pattern, currency_digits=False
    )
