"""Issue 15: safe defaults and hardening — link tokens out of the logs, 403 as one line,
``next=`` only to this site."""

import logging
import smtplib
from datetime import date

import pytest
from auditlog.models import LogEntry
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse

from followups.schedule import local_at
from followups.services import run_sweep
from intake.models import Alert, Patient
from intake.services import create_intake_link
from outbox.drain import Delivery, deliver
from outbox.models import EmailState, OutboundEmail
from outbox.sealing import UnsealError, unseal_context
from security.logging import OneLineRefusals, RedactQueryStrings, redact
from tests.factories import PatientFactory, make_follow_up, make_intake

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
        "True",  # not a path: redirect() would take it for a URL name (a 500)
        "reception:home",
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


# --- patient links at rest -----------------------------------------------------------------


INTAKE = date(2026, 10, 20)
DUE = local_at(date(2026, 12, 1))


def _queued_invitation() -> OutboundEmail:
    make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    return OutboundEmail.objects.get()


def test_a_queued_mail_keeps_its_link_sealed_and_still_sends_it(mailoutbox):
    email = _queued_invitation()
    email = OutboundEmail.objects.get()
    stored = str(email.context)
    link = unseal_context(email.context)["questionnaire_url"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in stored and "/q/" not in stored
    deliver(email.pk, now=DUE)
    assert token in mailoutbox[-1].body
    assert "questionnaire_url" not in OutboundEmail.objects.get(pk=email.pk).context


def test_a_mail_that_fails_for_good_forgets_its_link(settings):
    settings.EMAIL_BACKEND = "tests.test_security_hardening.RefusingBackend"
    email = _queued_invitation()
    assert deliver(email.pk, now=DUE) == Delivery.FAILED
    email.refresh_from_db()
    assert email.state == EmailState.FAILED
    assert "questionnaire_url" not in email.context
    assert email.context["first_name"]


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})


def test_the_export_never_shows_a_link():
    from records.gdpr import export_record

    email = _queued_invitation()
    exported = export_record(email_patient(email))
    (row,) = exported["records"]["outbox.outboundemail"]
    assert "questionnaire_url" not in row["context"] and row["context"]["first_name"]
    assert "sealed:" not in str(exported)


def test_the_admin_role_is_offered_no_patient_data(admin_user):
    """Decision (docs/security.md): the admin manages users, campuses, the exercise
    library and e-mail texts; patient models, the outbox and the change log (which holds
    old values) are not in the admin at all."""
    from django.contrib import admin
    from django.contrib.admin.models import LogEntry as AdminLogEntry

    from records.changelog import CHANGE_LOGGED

    patient_data = {*CHANGE_LOGGED, OutboundEmail, LogEntry, AdminLogEntry}
    assert not patient_data & set(admin.site._registry)
    client = Client()
    client.force_login(admin_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/outbox/" not in index and "/admin/auditlog/" not in index


def test_a_sealed_link_is_opened_with_the_previous_key_after_a_rotation(settings):
    from outbox.sealing import seal_context

    sealed = seal_context({"url": "https://backpath.example/intake/tok/"})
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "y" * 40
    assert unseal_context(sealed)["url"] == "https://backpath.example/intake/tok/"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(UnsealError):
        unseal_context(sealed)


def email_patient(email: OutboundEmail) -> Patient:
    return Patient.objects.get(pk=email.patient_id)


def test_a_link_sealed_before_the_switch_to_aes_gcm_still_opens(settings):
    """Mail queued before 2026-11-30 holds Fernet-sealed links; it still sends."""
    from outbox.sealing import KEY_PURPOSE, SEALED_PREFIX, _fernet, seal_context

    old = SEALED_PREFIX + _fernet(settings.SECRET_KEY).encrypt(b"https://x.example/q/t/").decode()
    assert unseal_context({"questionnaire_url": old}) == {
        "questionnaire_url": "https://x.example/q/t/"
    }
    new = seal_context({"questionnaire_url": "https://x.example/q/t/"})["questionnaire_url"]
    assert new.startswith(SEALED_PREFIX) and "x.example" not in new
    assert (
        new != seal_context({"questionnaire_url": "https://x.example/q/t/"})["questionnaire_url"]
    )  # a fresh nonce each time
    assert KEY_PURPOSE  # the Fernet keys stay derived as before


def test_a_tampered_sealed_link_is_refused():
    from outbox.sealing import seal_context

    sealed = seal_context({"url": "https://backpath.example/intake/tok/"})["url"]
    middle = len(sealed) // 2
    flipped = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    with pytest.raises(UnsealError):
        unseal_context({"url": flipped})
    with pytest.raises(UnsealError):
        unseal_context({"url": sealed[:-20]})
