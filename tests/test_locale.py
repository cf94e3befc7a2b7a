"""Russian plural forms: every plural string of the code has all of them."""

import gettext
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def plural_msgids(mo: Path) -> set[str]:
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    return {key[0] for key in catalog if isinstance(key, tuple)}


def test_every_plural_string_has_russian_forms():
    """The English catalogue lists the code's plural strings; the Russian
    one must give each its three forms, or «2 баллов» reaches a page."""
    english = plural_msgids(ROOT / "locale/en/LC_MESSAGES/django.mo")
    english |= plural_msgids(ROOT / "cms/locale/en/LC_MESSAGES/django.mo")
    russian = plural_msgids(ROOT / "locale/ru/LC_MESSAGES/django.mo")
    assert english, "no plural strings found: is the English catalogue compiled?"
    assert english - russian == set()


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (1, "1 балл"),
        (2, "2 балла"),
        (5, "5 баллов"),
        (21, "21 балл"),
        (12, "12 баллов"),
    ],
)
def test_points_read_right_in_russian(n, shown):
    with translation.override("ru"):
        text = translation.ngettext("%(points)s балл", "%(points)s баллов", n)
    assert text % {"points": n} == shown
