"""The development mail backend: one ``.eml`` file per message in ``EMAIL_FILE_PATH``,
named so a person finds a message by looking at the folder:
``20261130-091502-123456_patient@example.org_Your-six-week-questionnaire.eml``.

Django's own file backend writes one file per connection, so a sweep that sends 25
messages leaves one file with 25 messages in it. An ``.eml`` file opens in any mail
program.
"""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

NAME_PART = re.compile(r"[^\w@.+-]+")
MAX_SUBJECT = 60


def file_name(message: EmailMessage, now: Any, number: int) -> str:
    """``<date-time>_<first recipient>_<subject>.eml``, safe on every file system."""
    recipient = NAME_PART.sub("-", (message.to or ["nobody"])[0]).strip("-")
    subject = NAME_PART.sub("-", message.subject or "no-subject").strip("-")[:MAX_SUBJECT]
    return f"{now:%Y%m%d-%H%M%S-%f}-{number}_{recipient}_{subject}.eml"


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        now = timezone.localtime()
        sent = 0
        for number, message in enumerate(email_messages):
            path = self.directory / file_name(message, now, number)
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
