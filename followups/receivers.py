"""What the follow-ups app does when a lower app announces an event."""

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from followups.services import FOLLOW_UP_REFERENCE, move_to_call_list_after_failed_email
from outbox.models import OutboundEmail
from outbox.signals import email_failed


@receiver(email_failed, sender=OutboundEmail, dispatch_uid="followups-email-failed")
def call_instead_of_failed_email(
    sender: Any, *, email: OutboundEmail, now: datetime, **kwargs: Any
) -> None:
    """The invitation or a reminder bounced for good: reception phones instead."""
    if email.reference.startswith(FOLLOW_UP_REFERENCE):
        follow_up_id = int(email.reference.removeprefix(FOLLOW_UP_REFERENCE))
        move_to_call_list_after_failed_email(follow_up_id, now=now)
