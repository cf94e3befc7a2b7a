"""The write side of discovery search, as the services call it.

Services call these inside their transaction; the work itself waits for
``transaction.on_commit``. The discovery index (issue 7) fills them in; until
then they do nothing, so the services can already call them.
"""

from __future__ import annotations


def schedule_index(instance) -> None:
    """Index ``instance`` after commit if it is public, else remove it."""


def schedule_unindex(instance) -> None:
    """Remove ``instance`` from the index before anyone can see the change."""
