"""The embedded default: SQLite, database search, e-mail to the console."""

from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY

DEBUG = True
# A development key is fine here and nowhere else: production.py refuses to
# start without SECRET_KEY.
SECRET_KEY = _SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = ["*"]
