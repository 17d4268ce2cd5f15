from django.urls import path

from security import views

app_name = "security"
urlpatterns = [
    path("two-step/", views.twofactor_setup, name="twofactor_setup"),
    path("two-step/verify/", views.twofactor_verify, name="twofactor_verify"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("audit/", views.audit_home, name="audit_home"),
    path("audit/patients/<int:patient_id>/", views.patient_audit, name="patient_audit"),
    path("audit/patients/<int:patient_id>/export.json", views.export_json, name="export_json"),
    path("audit/patients/<int:patient_id>/fhir.json", views.export_fhir, name="export_fhir"),
    path("audit/patients/<int:patient_id>/erase/", views.erase, name="erase"),
]
