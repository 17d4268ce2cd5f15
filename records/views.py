"""The manager's privacy pages: a patient's audit trail, record export and erasure."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clinics.access import role_required
from clinics.models import Role
from clinics.paging import page_of
from intake.forms import SearchForm
from intake.models import Patient
from intake.search import search_kind
from records import changelog, gdpr
from records.fhir import patient_bundle
from records.forms import ErasureForm
from security import audit
from security.models import ErasureOutcome, ErasureRecord, ReadAction, ReadLog

SEARCH_RESULTS = 25


@role_required(Role.MANAGER)
@require_GET
def audit_home(request: HttpRequest) -> HttpResponse:
    """Find a patient's file to see who looked at it, export it or handle an erasure."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    patients: list[Patient] = []
    if query:
        patients = list(
            Patient.objects.visible_to(request.user).search(query).in_name_order()[:SEARCH_RESULTS]
        )
        audit.log_search(request, patients, kind=search_kind(query))
    return render(
        request,
        "records/audit_home.html",
        {"search_form": form, "query": query, "patients": patients},
    )


@role_required(Role.MANAGER)
@require_GET
def patient_audit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Who looked at this file, and what changed in it."""
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    audit.log_read(request, patient, action=ReadAction.AUDIT)
    reads = page_of(request, ReadLog.objects.for_patient(patient.pk), "reads")
    changes = page_of(
        request,
        changelog.change_entries_for(patient.pk)
        .select_related("content_type", "actor")
        .order_by("-timestamp", "-pk"),
        "changes",
    )
    _name_readers(reads)
    for entry in changes:
        entry.field_labels = _field_labels(entry)
    return render(
        request,
        "records/patient_audit.html",
        {
            "patient": patient,
            "reads": reads,
            "changes": changes,
            "erasures": ErasureRecord.objects.for_patient(patient.pk),
        },
    )


def _name_readers(reads: Any) -> None:
    """Each read's reader by full name (the log keeps the login name: it outlives accounts)."""
    usernames = {read.username for read in reads if read.username}
    names = {
        user.get_username(): user.get_full_name()
        for user in get_user_model().objects.filter(username__in=usernames)
    }
    for read in reads:
        read.full_name = names.get(read.username) or read.username


def _field_labels(entry: Any) -> list[str]:
    """The changed fields as the forms label them ("birth date", not "birth_date")."""
    model = entry.content_type.model_class()
    labels = []
    for name in entry.changes_dict or {}:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except (AttributeError, FieldDoesNotExist):
            labels.append(name)
    return labels


def _download(data: dict[str, Any], filename: str, content_type: str) -> HttpResponse:
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.MANAGER)
@require_GET
def export_json(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    audit.log_read(request, patient, action=ReadAction.EXPORT)
    data = gdpr.export_record(patient)
    return _download(data, f"patient-{patient.pk}.json", "application/json")


@role_required(Role.MANAGER)
@require_GET
def export_fhir(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    bundle = patient_bundle(patient)
    audit.log_read(request, patient, action=ReadAction.EXPORT)
    return _download(bundle, f"patient-{patient.pk}.fhir.json", "application/fhir+json")


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Handle a patient's request for erasure (pseudonymisation after the retention period)."""
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    retention = gdpr.retention_of(patient)
    form = ErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        record = gdpr.erase_patient(patient.pk, by=request.user)
        if record.outcome == ErasureOutcome.PSEUDONYMISED:
            messages.success(request, _("The patient's data has been pseudonymised."))
        else:
            messages.warning(
                request,
                _("The request is registered but refused: the record must be kept until %(date)s.")
                % {"date": record.keep_until.strftime("%d/%m/%Y")},
            )
        return redirect("records:patient_audit", patient.pk)
    audit.log_read(request, patient, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "records/erase.html",
        {"patient": patient, "retention": retention, "form": form},
    )
