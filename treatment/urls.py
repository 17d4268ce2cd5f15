from django.urls import path

from treatment import views

app_name = "treatment"
urlpatterns = [
    path("", views.caseload, name="caseload"),
]
