"""The physiotherapist's queue and alert list, each one query whatever its length
(the caseload, which also reads follow-ups and referrals, is ``pathway.queries.caseload``
and ``caseload_rows``).
"""

from django.db.models import QuerySet

from intake.models import Alert, Episode

QUEUE_COLUMNS = (
    "patient_id",
    "intake_date",
    "state",
    "physio_id",
    "patient__first_name",
    "patient__last_name",
    "patient__language",
    "patient__postcode",
    "intake__pain_now",
    "intake__odi_percent",
    "intake__start_back_risk",
)
ALERT_COLUMNS = (
    "episode_id",
    "kind",
    "disposition",
    "reasons",
    "created_at",
    "acknowledged_at",
    "episode__patient_id",
    "episode__physio_id",
    "episode__pathway_continued_at",
    "episode__patient__first_name",
    "episode__patient__last_name",
    "episode__patient__phone",
)


def queue() -> QuerySet[Episode]:
    """Unassigned PHYSIO episodes, oldest intake first."""
    return Episode.objects.physio_queue().select_related("patient", "intake").only(*QUEUE_COLUMNS)


def open_alerts() -> QuerySet[Alert]:
    """Unacknowledged alerts, emergencies first, newest first."""
    return (
        Alert.objects.open()
        .select_related("episode__patient")
        .only(*ALERT_COLUMNS)
        .most_urgent_first()
    )
