"""Everything held on one patient, found by following the relations that lead to them.

Starting from ``intake.Patient``, every model with a foreign key to the patient, or to
something that belongs to the patient (episode, intake, follow-up, referral, plan...),
is a *branch* of the record. New models of any app join the export and the erasure
without being listed here: that is what keeps the GDPR functions complete. The outbox's
mail, which names its patient by a plain id, is the one branch listed by hand.
"""

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.utils import timezone

from intake.models import Patient
from outbox.models import OutboundEmail
from outbox.sealing import public_context

MAX_DEPTH = 5
# Never exported or kept in an export: a hash of a link's secret token.
SECRET_FIELDS = frozenset({"token_hash"})
# Exported through a filter: an e-mail's template variables without its (sealed) links.
EXPORT_FILTERS = {("outbox.outboundemail", "context"): public_context}


@dataclass(frozen=True)
class Branch:
    """A model holding patient data and the lookups from it to the patient."""

    model: type[models.Model]
    lookups: tuple[str, ...]
    # The lookups name a plain patient id (the outbox knows no Patient model).
    by_id: bool = False

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def objects_of(self, patient: Patient) -> "models.QuerySet[Any]":
        value = patient.pk if self.by_id else patient
        condition = reduce(or_, (models.Q(**{lookup: value}) for lookup in self.lookups))
        return self.model._base_manager.filter(condition).distinct().order_by("pk")


def patient_branches() -> list[Branch]:
    """The models that hold data of one patient, breadth first from Patient."""
    lookups: dict[type[models.Model], list[str]] = {}
    frontier: list[tuple[type[models.Model], str]] = [(Patient, "")]
    for _depth in range(MAX_DEPTH):
        next_frontier: list[tuple[type[models.Model], str]] = []
        for model, path in frontier:
            for relation in model._meta.related_objects:
                if relation.many_to_many or relation.related_model is Patient:
                    continue
                related = relation.related_model
                lookup = f"{relation.field.name}__{path}" if path else relation.field.name
                if lookup in lookups.get(related, []):
                    continue
                is_new = related not in lookups
                lookups.setdefault(related, []).append(lookup)
                if is_new:
                    next_frontier.append((related, lookup))
        frontier = next_frontier
    related = [Branch(model, tuple(paths)) for model, paths in lookups.items()]
    return [*related, Branch(OutboundEmail, ("patient_id",), by_id=True)]


def patient_objects(patient: Patient) -> Iterator[tuple[Branch, models.Model]]:
    for branch in patient_branches():
        for obj in branch.objects_of(patient):
            yield branch, obj


def serialize(obj: models.Model) -> dict[str, Any]:
    """The stored values of one row: foreign keys as ids, binary data as base64."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            continue
        value = field.value_from_object(obj)
        export_filter = EXPORT_FILTERS.get((obj._meta.label_lower, field.name))
        if export_filter is not None:
            value = export_filter(value)
        if isinstance(field, models.BinaryField) and value is not None:
            value = base64.b64encode(bytes(value)).decode("ascii")
        data[field.attname if field.is_relation else field.name] = value
    return data


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def last_activity(patient: Patient) -> date:
    """The latest date anywhere in the record (a conservative 'last contact').

    Every date and time of every row that belongs to the patient counts, planned ones
    included (a follow-up due next month keeps the record open), except the birth date
    and the expiry of links.
    """
    latest = _as_date(patient.created_at)
    for branch in patient_branches():
        date_fields = [
            f.name
            for f in branch.model._meta.concrete_fields
            # DateTimeField is a DateField. A link's expiry is no contact with the patient.
            if isinstance(f, models.DateField) and "expire" not in f.name
        ]
        if not date_fields:
            continue
        found = branch.objects_of(patient).aggregate(
            **{f"max_{name}": models.Max(name) for name in date_fields}
        )
        for value in found.values():
            if value is not None:
                latest = max(latest, _as_date(value))
    return latest
