"""The physiotherapist's lists, each one query whatever its length.

Episodes belong to ``intake``; these are the treatment views of them, kept here so
the intake app does not have to know about plans and sessions.
"""

from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from intake.models import Alert, Episode
from treatment import pathway
from treatment.models import TreatmentSession

# The columns the caseload page shows (``only``): not the intake's answers and scores
# (JSON, decoded per row) nor the rest of the patient's record.
CASELOAD_COLUMNS = (
    "patient_id",
    "intake_date",
    "state",
    "physio_id",
    "patient__first_name",
    "patient__last_name",
    "intake__pain_now",
    "intake__start_back_risk",
    "treatment_plan__next_session_on",
    "treatment_plan__planned_sessions",
)
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
    "episode__patient__first_name",
    "episode__patient__last_name",
    "episode__patient__phone",
)


def caseload(physio: Any) -> QuerySet[Episode]:
    """The physiotherapist's episodes that are not closed, next session first.

    Each row carries its patient, intake and plan, the latest session's pain and date,
    the number of sessions and the flags of ``pathway.caseload_flags``.
    """
    sessions = TreatmentSession.objects.filter(episode=OuterRef("pk"))
    latest = sessions.order_by("-session_date", "-id")
    session_count = sessions.order_by().values("episode").annotate(n=Count("id")).values("n")
    return (
        Episode.objects.active()
        .filter(physio=physio)
        .select_related("patient", "intake", "treatment_plan")
        .only(*CASELOAD_COLUMNS)
        .annotate(
            latest_session_pain=Subquery(latest.values("pain_now")[:1]),
            latest_session_on=Subquery(latest.values("session_date")[:1]),
            session_count=Coalesce(Subquery(session_count), Value(0)),
            **pathway.caseload_flags(),
        )
        .order_by(F("treatment_plan__next_session_on").asc(nulls_last=True), "intake_date", "id")
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
