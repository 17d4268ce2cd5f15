from django.urls import path

from clinics import views

app_name = "clinics"
urlpatterns = [
    path("", views.manager_home, name="manager_home"),
]
