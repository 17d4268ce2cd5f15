from django.urls import path

from security import views

app_name = "security"
urlpatterns = [
    path("two-step/", views.twofactor_setup, name="twofactor_setup"),
    path("two-step/verify/", views.twofactor_verify, name="twofactor_verify"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
]
