from django.urls import path

from clinics import views

app_name = "clinics"
urlpatterns = [
    path("", views.manager_home, name="manager_home"),
    path("figures.csv", views.manager_figures_csv, name="manager_figures_csv"),
]
