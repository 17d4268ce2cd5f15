from django.urls import path

from intake import views

app_name = "intake_public"
urlpatterns = [
    path("<str:token>/", views.self_intake, name="self_intake"),
]
