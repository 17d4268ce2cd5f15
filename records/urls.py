from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("audit/", views.audit_home, name="audit_home"),
    path("audit/patients/<int:patient_id>/", views.patient_audit, name="patient_audit"),
    path("audit/patients/<int:patient_id>/export.json", views.export_json, name="export_json"),
    path("audit/patients/<int:patient_id>/fhir.json", views.export_fhir, name="export_fhir"),
    path("audit/patients/<int:patient_id>/erase/", views.erase, name="erase"),
]
