from django.urls import path

from intake import views

app_name = "kiosk"
urlpatterns = [
    path("", views.kiosk_home, name="home"),
    path("intake/", views.kiosk_intake, name="intake"),
]
