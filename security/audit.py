"""The audit trail: reads logged here, changes by django-auditlog.

``log_read(request, obj)`` is what a view calls after showing patient data. Changes
of the patient-data models (registered by ``records.changelog``) are logged by auditlog,
with the user, address and browser set for the request by
``security.middleware.AuditContextMiddleware``.
"""

import logging
from collections.abc import Iterable
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_delete, pre_save
from django.http import HttpRequest
from django.utils import timezone

from clinics.access import user_roles
from clinics.dbwrites import insert_rows
from security.models import AppendOnlyError, ReadAction, ReadLog
from security.net import client_ip, user_agent

logger = logging.getLogger(__name__)


def _refuse_change(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    if instance.pk is not None and not instance._state.adding:
        raise AppendOnlyError("audit log entries cannot be changed")


def _refuse_delete(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    raise AppendOnlyError("audit log entries cannot be deleted")


def guard_change_log() -> None:
    """auditlog's LogEntry is append-only too (its admin is read-only, see admin.py)."""
    pre_save.connect(_refuse_change, sender=LogEntry, dispatch_uid="security-logentry-save")
    pre_delete.connect(_refuse_delete, sender=LogEntry, dispatch_uid="security-logentry-delete")


def patient_id_of(obj: models.Model) -> int | None:
    """The patient a row belongs to: itself, its ``patient``, or its episode's patient."""
    if obj._meta.label_lower == "intake.patient":
        return int(obj.pk)
    for path in (
        "patient_id",
        "episode.patient_id",
        "referral.episode.patient_id",
        "plan.episode.patient_id",
    ):
        value: Any = obj
        for attribute in path.split("."):
            value = getattr(value, attribute, None)
            if value is None:
                break
        if value is not None:
            return int(value)
    return None


def _entry(
    request: HttpRequest, *, action: str, patient_id: int | None, obj: models.Model | None = None
) -> ReadLog:
    user = request.user
    return ReadLog(
        user=user if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        roles=",".join(sorted(user_roles(user))),
        patient_id=patient_id,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        action=action,
        path=request.path[:300],
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


def log_read(request: HttpRequest, obj: models.Model, *, action: str = ReadAction.VIEW) -> ReadLog:
    """Record that the request's user was shown ``obj`` (a patient or part of one)."""
    entry = _entry(request, action=action, patient_id=patient_id_of(obj), obj=obj)
    entry.save()
    return entry


# The columns of a list or search read: no object, ``detail`` names the list or the kind.
_COMPACT_FIELDS = (
    "at",
    "user",
    "username",
    "roles",
    "patient",
    "action",
    "detail",
    "path",
    "ip",
    "user_agent",
)


def _insert_compact(
    request: HttpRequest, patient_ids: Iterable[int | None], *, action: str, detail: str
) -> None:
    """One row per patient id, in one ``INSERT`` outside any transaction (a single
    statement is atomic on its own; ``bulk_create`` would add BEGIN and COMMIT)."""
    user = request.user
    signed_in = user.is_authenticated
    common = (
        timezone.now(),
        user.pk if signed_in else None,
        user.get_username() if signed_in else "",
        ",".join(sorted(user_roles(user))),
    )
    tail = (action, detail, request.path[:300], client_ip(request), user_agent(request))
    rows = [(*common, patient_id, *tail) for patient_id in patient_ids]
    insert_rows(ReadLog, _COMPACT_FIELDS, rows, copy=False)


def log_listed(request: HttpRequest, patient_ids: Iterable[int | None], *, page: str) -> None:
    """Record that a list page or an htmx row showed these patients: one compact row per
    patient (no object, ``detail`` names the list), in one query; nothing when the
    list was empty."""
    shown = list(dict.fromkeys(pk for pk in patient_ids if pk is not None))
    if shown:
        _insert_compact(request, shown, action=ReadAction.LIST, detail=page)


def log_search(request: HttpRequest, patients: Iterable[Any], *, kind: str) -> None:
    """Record a search: one row per patient shown, or one without patient if none was.

    ``kind`` says what was searched for (e.g. "insz", "name+birth_date"), never the text.
    """
    # No content type: a search row is always about the patient itself.
    shown = [patient.pk for patient in patients] or [None]
    _insert_compact(request, shown, action=ReadAction.SEARCH, detail=kind)
