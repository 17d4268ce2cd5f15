from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinics import views as clinic_views
from security.forms import AdminLoginForm, LoginForm

admin.site.site_header = "Backpath"
admin.site.site_title = "Backpath"
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path("no-role/", clinic_views.no_role, name="no_role"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("reception/", include("intake.urls")),
    path("intake/", include("intake.public_urls")),
    path("kiosk/", include("intake.kiosk_urls")),
    path("physio/", include("treatment.urls")),
    path("coordinator/", include("referrals.urls")),
    path("manager/", include("dashboards.urls")),
    path("", include("followups.urls")),  # q/<token>/ (patients) and followups/ (staff)
    path("security/", include("security.urls")),
    path("security/", include("records.urls")),
    path("admin/", admin.site.urls),
]
