"""Settings for the voting load test: production, served over plain HTTP.

Everything else (secrets, hosts, database) comes from the environment as in
production; bench/vote_load.py sets those variables for its gunicorn. Only
two things differ: static files are not collected (the load test fetches
none), and TLS redirects are off because the server listens on 127.0.0.1.
Authentication is untouched: the load generator presents ordinary session
cookies of sessions it created through Django's session store.
"""

from cms.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
