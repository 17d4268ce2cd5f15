"""The physiotherapist's lists, each one query whatever its length.

Episodes belong to ``intake``; these are the treatment views of them, kept here so
the intake app does not have to know about plans and sessions.
"""

from typing import Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from intake.models import Alert, Disposition, Episode
from treatment import pathway
from treatment.models import TreatmentSession


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
    return Episode.objects.physio_queue().select_related("patient", "intake")


def open_alerts() -> QuerySet[Alert]:
    """Unacknowledged alerts, emergencies first, newest first."""
    return (
        Alert.objects.open()
        .select_related("episode__patient")
        .annotate(
            urgency=Case(
                When(disposition=Disposition.EMERGENCY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("urgency", "-created_at", "-id")
    )
