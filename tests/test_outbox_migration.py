"""The outbox left the follow-ups app without losing a row (issue 13): a mail written
before the move is still there after it, with its follow-up and patient as plain ids.

Runs on the database of the run: CI runs it on PostgreSQL and on SQLite."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from followups.models import FollowUp
from outbox.models import EmailState, OutboundEmail
from tests.factories import make_intake

BEFORE = [("followups", "0002_sweep_and_drain_order_indexes")]


def latest_targets(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_queued_before_the_move_is_kept_with_its_follow_up_and_patient():
    intake = make_intake()
    follow_up = FollowUp.objects.get(episode=intake.episode)
    patient_id = intake.episode.patient_id

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO followups_outboundemail (recipient, language, template, context, "
            "idempotency_key, state, attempts, last_error, created_at, next_attempt_at, "
            "patient_id, follow_up_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, %s, %s)",
            [
                "griet@example.org",
                "nl",
                "followup_invitation",
                '{"first_name": "Griet"}',
                f"followup-{follow_up.pk}-invitation",
                "queued",
                0,
                "",
                patient_id,
                follow_up.pk,
            ],
        )
        cursor.execute(
            "INSERT INTO followups_outboundemail (recipient, language, template, context, "
            "idempotency_key, state, attempts, last_error, created_at) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)",
            ["an@example.org", "fr", "intake_link", "{}", "intake-link:1", "sent", 1, ""],
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest_targets(executor))

    queued = OutboundEmail.objects.get(idempotency_key=f"followup-{follow_up.pk}-invitation")
    assert queued.reference == f"followup:{follow_up.pk}"
    assert queued.patient_id == patient_id
    assert (queued.recipient, queued.language, queued.state) == (
        "griet@example.org",
        "nl",
        EmailState.QUEUED,
    )
    assert queued.context == {"first_name": "Griet"}
    other = OutboundEmail.objects.get(idempotency_key="intake-link:1")
    assert (other.reference, other.patient_id, other.state) == ("", None, EmailState.SENT)
    assert list(OutboundEmail.objects.due(queued.next_attempt_at)) == [queued]
