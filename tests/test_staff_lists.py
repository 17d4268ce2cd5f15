"""Staff lists for staff: findings in clinical wording, one per line; reception's alerts
most urgent first, with a true count, filters and pages; acknowledging lowers the count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.paging import page_size
from intake import triage
from intake.models import Alert
from intake.staff_reasons import STAFF_REASONS, staff_reason_text
from tests.factories import make_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, receptionist):  # type: ignore[no-untyped-def]
    client.force_login(receptionist)
    client.cookies["django_language"] = "en"
    return client


def test_every_triage_rule_has_a_staff_wording_in_every_language():
    for rule in triage.RULES:
        assert rule.code in STAFF_REASONS, rule.code
        for language in triage.LANGUAGES:
            text = staff_reason_text(rule.code, language)
            assert text and len(text) < 80
            assert text != triage.reason_text(rule.code, language)


def test_the_alert_row_shows_findings_not_the_patients_explanation(desk):
    make_intake(saddle_numbness=True, fever=True)
    page = desk.get(reverse("intake:reception_home")).content.decode()
    assert "<li>Saddle anaesthesia</li>" in page
    assert "<li>Fever or chills</li>" in page
    assert "You have numbness" not in page
    assert ".;" not in page


def test_alerts_come_most_urgent_first_with_the_true_count(desk):
    for _ in range(page_size() + 3):
        make_intake(night_pain=True)  # GP today or tomorrow
    emergency = make_intake(saddle_numbness=True).episode.alerts.get()
    response = desk.get(reverse("intake:reception_home"))
    alerts = list(response.context["alerts"])
    assert alerts[0] == emergency  # the newest emergency on top, not the oldest alert
    assert len(alerts) == page_size()
    assert response.context["open_alert_count"] == page_size() + 4
    assert f"{page_size() + 4} open" in response.content.decode()
    second = desk.get(reverse("intake:reception_home"), {"alerts_page": 2})
    assert len(second.context["alerts"]) == 4


def test_the_filters_narrow_the_list_and_the_pager_keeps_them(desk, receptionist):
    make_intake(saddle_numbness=True)
    for _ in range(page_size() + 1):
        make_intake(night_pain=True)
    old = make_intake(weight_loss=True).episode.alerts.get()
    Alert.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    url = reverse("intake:reception_home")

    emergencies = desk.get(url, {"status": "open", "disposition": "EMERGENCY"})
    assert [a.disposition for a in emergencies.context["alerts"]] == ["EMERGENCY"]
    assert emergencies.context["open_alert_count"] == page_size() + 3

    today = desk.get(url, {"status": "open", "today": "on"})
    assert today.context["alerts"].paginator.count == page_size() + 2
    assert 'href="?status=open&amp;today=on&amp;alerts_page=2"' in today.content.decode()

    Alert.objects.filter(pk=old.pk).update(
        acknowledged_at=timezone.now(), acknowledged_by=receptionist
    )
    assert old not in list(
        desk.get(url, {"status": "open", "disposition": "GP_URGENT"}).context["alerts"]
    )
    everything = desk.get(url, {"status": "all", "disposition": "GP_URGENT", "alerts_page": 2})
    assert old in list(everything.context["alerts"])


def test_acknowledging_an_alert_lowers_the_counter_on_the_page(desk):
    first = make_intake(fever=True).episode.alerts.get()
    make_intake(fever=True)
    response = desk.post(
        reverse("intake:alert_acknowledge", args=[first.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="open-alert-count"' in html and 'hx-swap-oob="true"' in html
    assert "1 open" in html


def test_gp_today_or_tomorrow_comes_before_gp_this_week(desk):
    urgent = make_intake(night_pain=True).episode.alerts.get()
    soon = make_intake(duration_days=30).episode.alerts.get()  # newer, less urgent
    emergency = make_intake(fever=True).episode.alerts.get()
    alerts = list(desk.get(reverse("intake:reception_home")).context["alerts"])
    assert alerts == [emergency, urgent, soon]


def test_the_reception_lists_show_a_page_each_the_longest_waiting_check_first(desk):
    intakes = [make_intake() for _ in range(page_size() + 2)]
    for minutes, intake in enumerate(intakes):  # the first one recorded the longest ago
        type(intake).objects.filter(pk=intake.pk).update(
            reviewed_at=None, recorded_at=timezone.now() - timedelta(minutes=100 - minutes)
        )
    url = reverse("intake:reception_home")
    response = desk.get(url)
    pending = list(response.context["pending"])
    assert pending[0] == intakes[0] and len(pending) == page_size()
    assert len(response.context["todays_intakes"]) == page_size()
    html = response.content.decode()
    assert 'href="?pending_page=2"' in html and 'href="?today_page=2"' in html

    second = desk.get(url, {"pending_page": 2, "today_page": 2})
    assert [i.pk for i in second.context["pending"]] == [i.pk for i in intakes[-2:]]
    assert len(second.context["todays_intakes"]) == 2
    assert 'href="?today_page=2&amp;pending_page=1"' in second.content.decode()
