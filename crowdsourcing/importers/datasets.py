"""The real public data sets the demo and the tests are built from.

They live outside the repository (``../shared/data`` next to the checkout;
see that folder's README for sources and licences). Each attribution below
is the text a page showing the data must carry.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

POLIS_BOWLING_GREEN_ATTRIBUTION = (
    "Данные: The Computational Democracy Project, Bowling Green 2018 "
    "conversation (репозиторий compdemocracy/openData, папка "
    "american-assembly.bowling-green), лицензия CC BY 4.0."
)
DECIDE_MADRID_ATTRIBUTION = (
    "Данные: Ayuntamiento de Madrid, decide.madrid.es (CONSUL). Предложения "
    "и комментарии 2015–2019 — из репозитория argrecsys/dgov-visual-analytics "
    "(data/raw_data/, лицензия Apache-2.0); предложения 2024–2025 — из "
    "репозитория antoniomoneo/Datasets (decide-madrid/proposals_latest.csv, "
    "лицензия MIT)."
)


def shared_data_dir() -> Path:
    """Return the folder of the shared real data sets."""
    return Path(settings.BASE_DIR).parent / "shared" / "data"


def polis_bowling_green(base: Path | None = None) -> Path:
    return (base or shared_data_dir()) / "polis_bowling_green"


def decide_madrid(base: Path | None = None) -> dict[str, Path]:
    folder = (base or shared_data_dir()) / "decide_madrid"
    return {
        "proposals_2015_2019": folder / "proposals_2015_2019.csv",
        "comments_2015_2019": folder / "comments_2015_2019.csv",
        "hierarchy_2015_2019": folder / "comment_hierarchy_2015_2019.csv",
        "proposals_2024_2025": folder / "proposals_2024_2025.csv",
    }
