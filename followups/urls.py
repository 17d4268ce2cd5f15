from django.urls import path

from followups import views

app_name = "followups"
urlpatterns = [
    # The patient's side: a link from an e-mail, no account.
    path("q/<str:token>/", views.questionnaire, name="questionnaire"),
    # Staff.
    path("followups/overview/", views.overview, name="overview"),
    path("followups/calls/", views.call_list, name="call_list"),
    path("followups/<int:pk>/call/", views.record_call, name="record_call"),
    path("followups/<int:pk>/phone/", views.phone_answers, name="phone_answers"),
    path("followups/<int:pk>/result/", views.result, name="result"),
    path("episodes/<int:episode_id>/lost-letter/", views.lost_letter, name="lost_letter"),
    path("followups/emails/<int:pk>/dismiss/", views.dismiss_email, name="dismiss_email"),
]
