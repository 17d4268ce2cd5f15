"""Settings of the bench process and its worker: the production settings, plus

- the bench's URLs (``bench.urls``: the floor page and the patient admin changelist),
- plain static-file URLs: the test client fetches no static file, and production's
  hashed-name manifest would need ``collectstatic`` first.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
