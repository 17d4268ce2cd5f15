from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.coordinator_home, name="coordinator_home"),
]
