from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.coordinator_home, name="coordinator_home"),
    path("proposals/", views.proposals, name="proposals"),
    path("capacity/", views.capacity, name="capacity"),
    path("episodes/<int:episode_id>/referral/", views.episode_referral, name="for_episode"),
    path("referrals/<int:pk>/", views.referral_detail, name="detail"),
    path("referrals/<int:pk>/gp/", views.referral_gp, name="gp"),
    path("referrals/<int:pk>/letters/latest/", views.letter_download, name="letter"),
    path(
        "referrals/<int:pk>/letters/<int:version>/",
        views.letter_download,
        name="letter_version",
    ),
    path("referrals/<int:pk>/row/", views.referral_row, name="row"),
    path("referrals/<int:pk>/<slug:action>/", views.referral_action, name="action"),
    path("referrals/<int:pk>/<slug:action>/form/", views.action_form, name="action_form"),
]
