"""Logging filters: no search terms, no link tokens and no tracebacks for refusals.

- A patient search puts a name or national number in the URL (``?q=...``): request
  lines are logged without their query string.
- A patient link carries its token in the path (``/q/<token>/``, ``/intake/<token>/``):
  Django's request logger prints the path on a 400, 404, 410 or 429, so the token
  segment is replaced by ``…`` under every prefix of ``BACKPATH_PATIENT_LINK_PREFIXES``.
- A refused request (403) is an expected answer, logged as one line without the
  ``PermissionDenied`` traceback.
"""

import logging
import re
from functools import cache

from django.conf import settings

QUERY_STRING = re.compile(r"\?[^\s\"'?=]*=[^\s\"']*")
REDACTED = "…"


@cache
def _token_paths() -> re.Pattern[str]:
    prefixes = "|".join(re.escape(p) for p in settings.BACKPATH_PATIENT_LINK_PREFIXES)
    # A prefix at the start of a path (line start, after a space, a quote or a host),
    # followed by the token segment.
    return re.compile(rf"(^|[\s\"'(=]|//[^/\s\"']+)({prefixes})[^/\s\"'?#]+")


def redact(text: str) -> str:
    text = QUERY_STRING.sub(f"?{REDACTED}", text)
    return _token_paths().sub(rf"\1\2{REDACTED}", text)


class RedactQueryStrings(logging.Filter):
    """Query strings and patient-link tokens out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class OneLineRefusals(logging.Filter):
    """A 403 is logged as its one message line, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info, record.exc_text = None, None
        return True
