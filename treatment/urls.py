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
    path("episodes/<int:pk>/summary/", views.discharge_summary, name="discharge_summary"),
    path(
        "episodes/<int:pk>/summary.pdf", views.discharge_summary_pdf, name="discharge_summary_pdf"
    ),
    path(
        "episodes/<int:pk>/summary/send/",
        views.discharge_summary_send,
        name="discharge_summary_send",
    ),
]
