from django.urls import path

from intake import views

app_name = "intake"
urlpatterns = [
    path("", views.reception_home, name="reception_home"),
    path("patients/", views.patient_search, name="patient_search"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:patient_id>/intake/", views.intake_new, name="intake_new"),
    path("patients/<int:patient_id>/intake-link/", views.intake_link_create, name="intake_link"),
    path("intakes/<int:intake_id>/", views.intake_result, name="intake_result"),
    path("intakes/<int:intake_id>/review/", views.intake_review, name="intake_review"),
    path("intakes/<int:intake_id>/scores/", views.intake_scores, name="intake_scores"),
    path("alerts/<int:alert_id>/action/", views.alert_action, name="alert_action"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/continue/", views.alert_continue, name="alert_continue"),
    path("advice/<str:disposition>/<str:language>/", views.advice_sheet, name="advice_sheet"),
]
