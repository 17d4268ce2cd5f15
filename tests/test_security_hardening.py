"""Issue 15: safe defaults and hardening — link tokens out of the logs, 403 as one line,
``next=`` only to this site."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Alert
from intake.services import create_intake_link
from security.logging import OneLineRefusals, RedactQueryStrings, redact
from tests.factories import PatientFactory, make_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_log(caplog):  # type: ignore[no-untyped-def]
    """What the console handler would print: its filters applied to every record."""
    filters = (RedactQueryStrings(), OneLineRefusals())
    lines: list[str] = []

    def formatted() -> list[str]:
        for record in caplog.records:
            for log_filter in filters:
                log_filter.filter(record)
            lines.append(logging.Formatter("%(message)s").format(record))
        return lines

    caplog.set_level(logging.INFO)
    return formatted


@pytest.mark.parametrize(
    "line",
    [
        '"GET /q/abcDEF123_-xyz/ HTTP/1.1" 410 512',
        "Gone: /q/abcDEF123_-xyz/",
        "Not Found: /intake/abcDEF123_-xyz/",
        '"POST /intake/abcDEF123_-xyz/?lang=fr HTTP/1.1" 429 0',
        "https://backpath.example/q/abcDEF123_-xyz/ was opened",
    ],
)
def test_link_tokens_are_redacted_from_log_lines(line):
    assert "abcDEF123_-xyz" not in redact(line)
    assert "…" in redact(line)


def test_staff_paths_that_merely_end_in_intake_are_kept():
    assert redact("GET /reception/patients/12/intake/ HTTP/1.1") == (
        "GET /reception/patients/12/intake/ HTTP/1.1"
    )


def test_a_used_links_token_does_not_reach_the_log(client, console_log):
    link, token = create_intake_link(PatientFactory(), by=None)
    link.used_at = link.created_at
    link.save()
    assert client.get(reverse("intake_public:self_intake", args=[token])).status_code == 410
    assert client.get(f"/q/{token}/").status_code == 404
    lines = console_log()
    assert any("/intake/…" in line for line in lines), lines
    assert not any(token in line for line in lines)


def test_a_refusal_is_logged_as_one_line_without_a_traceback(receptionist, console_log):
    client = Client()
    client.force_login(receptionist)
    assert client.get(reverse("treatment:caseload")).status_code == 403
    refusals = [r for r in console_log() if "Forbidden" in r]
    assert refusals == ["Forbidden (Permission denied): /physio/"]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/reception/",
        "//evil.example/reception/",
        "/\\evil.example/",
        "http://testserver/reception/",  # plain HTTP from an HTTPS page
        "javascript:alert(1)",
    ],
)
def test_acknowledging_an_alert_never_follows_next_off_site(receptionist, target):
    alert = make_intake(fever=True).episode.alerts.get()
    client = Client()
    client.force_login(receptionist)
    response = client.post(
        reverse("intake:alert_acknowledge", args=[alert.pk]), {"next": target}, secure=True
    )
    assert response.status_code == 302
    assert response.url == reverse("intake:reception_home")
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is not None


def test_acknowledging_an_alert_returns_to_a_page_of_this_site(receptionist):
    alert = make_intake(fever=True).episode.alerts.get()
    client = Client()
    client.force_login(receptionist)
    response = client.post(
        reverse("intake:alert_acknowledge", args=[alert.pk]), {"next": "/followups/calls/"}
    )
    assert response.url == "/followups/calls/"
