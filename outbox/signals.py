"""What the outbox tells the apps above it. It knows none of them: they listen.

``email_failed`` is sent inside the transaction that marks a mail failed for good,
with ``email`` (the row) and ``now``; a receiver that writes does so in that transaction.
"""

from django.dispatch import Signal

email_failed = Signal()
