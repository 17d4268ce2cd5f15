"""Logging filter: request lines are logged without their query string.

A patient search puts a name or national number in the URL (``?q=...``); the web
server's request log must not keep it.
"""

import logging
import re

QUERY_STRING = re.compile(r"\?[^\s\"'?=]*=[^\s\"']*")


def redact(text: str) -> str:
    return QUERY_STRING.sub("?…", text)


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True
