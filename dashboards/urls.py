from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.manager_home, name="manager_home"),
    path("figures.csv", views.manager_figures_csv, name="manager_figures_csv"),
]
