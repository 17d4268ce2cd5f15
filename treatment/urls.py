from django.urls import path

from treatment import views

app_name = "treatment"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode"),
    path("episodes/<int:pk>/take/", views.take, name="take"),
    path("episodes/<int:pk>/plan/", views.plan, name="plan"),
    path("episodes/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("episodes/<int:pk>/handout/", views.handout, name="handout"),
    path("episodes/<int:pk>/discharge/", views.discharge, name="discharge"),
]
