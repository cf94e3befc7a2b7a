"""Importers for real participation data (issue 8).

One module per source (polis.py, consul.py) over a small shared base
(base.py: CSV reading with file-and-line errors, progress, summary, bulk
inserts, pseudonymous participants). The management commands import_polis
and import_consul are thin wrappers; tests and the demo call the functions.
"""

from .base import ImportFileError, Progress, Summary
from .consul import import_consul
from .polis import import_polis

__all__ = ["ImportFileError", "Progress", "Summary", "import_consul", "import_polis"]
