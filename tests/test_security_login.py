"""Login protection: lockout, password hashing, session expiry, two-step login."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _fail_login(client, username, times, ip="10.0.0.1"):  # type: ignore[no-untyped-def]
    response = None
    for _ in range(times):
        response = client.post(
            LOGIN, {"username": username, "password": "wrong-password"}, REMOTE_ADDR=ip
        )
    return response


# --- lockout (django-axes) ---------------------------------------------------------------


def test_a_wrong_password_shows_the_form_again(client, receptionist):
    response = _fail_login(client, receptionist.username, 1)
    assert response.status_code == 200
    assert response.context["form"].errors


def test_five_failed_logins_lock_out_the_username_from_that_address(client, receptionist):
    client.cookies["django_language"] = "en"
    _fail_login(client, receptionist.username, settings.AXES_FAILURE_LIMIT - 1)
    response = _fail_login(client, receptionist.username, 1)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Login blocked for a while" in text
    assert "Try again in 15 minutes" in text


def test_the_right_password_does_not_open_a_locked_account(client, receptionist):
    _fail_login(client, receptionist.username, settings.AXES_FAILURE_LIMIT)
    response = client.post(
        LOGIN, {"username": receptionist.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, receptionist):
    _fail_login(client, receptionist.username, settings.AXES_FAILURE_LIMIT, ip="10.0.0.1")
    response = client.post(
        LOGIN, {"username": receptionist.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, receptionist, time_machine):
    time_machine.move_to("2026-03-02 09:00 +01:00")
    _fail_login(client, receptionist.username, settings.AXES_FAILURE_LIMIT)
    time_machine.move_to("2026-03-02 09:16 +01:00")
    response = client.post(
        LOGIN, {"username": receptionist.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302


def test_a_successful_login_resets_the_failure_count(client, receptionist):
    _fail_login(client, receptionist.username, settings.AXES_FAILURE_LIMIT - 1)
    client.post(
        LOGIN, {"username": receptionist.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    client.logout()
    response = _fail_login(client, receptionist.username, 1)
    assert response.status_code == 200


def test_the_admin_login_is_protected_too(client, admin_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            reverse("admin:login"),
            {"username": admin_user.username, "password": "nope"},
            REMOTE_ADDR="10.0.0.9",
        )
    assert response.status_code == 429


def test_the_test_clients_login_still_works(client, receptionist):
    assert client.login(username=receptionist.username, password=PASSWORD)


# --- production settings -----------------------------------------------------------------


@pytest.fixture(scope="module")
def production_settings() -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPATH_", "DEBUG"))}
    env.update(
        DEBUG="0", ALLOWED_HOSTS="backpath.example", SECRET_KEY="p" * 50 + "-production-secret"
    )
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'hasher': s.PASSWORD_HASHERS[0], 'roles': s.BACKPATH_2FA_REQUIRED_ROLES,"
        "'rate': s.BACKPATH_LINK_RATE_LIMIT, 'age': s.SESSION_COOKIE_AGE,"
        "'every': s.SESSION_SAVE_EVERY_REQUEST, 'secure': s.SESSION_COOKIE_SECURE,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'frame': s.X_FRAME_OPTIONS}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_hashes_passwords_with_argon2(production_settings):
    assert production_settings["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_requires_two_step_login_for_managers_and_admins(production_settings):
    assert set(production_settings["roles"]) == {"manager", "admin"}


def test_production_sessions_expire_after_30_idle_minutes_over_https_only(production_settings):
    assert production_settings["age"] == 1800
    assert production_settings["every"] is True
    assert production_settings["secure"] is True
    assert production_settings["hsts"] >= 31536000
    assert production_settings["frame"] == "DENY"
    assert production_settings["rate"] > 0


def test_argon2_works_without_system_libraries():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("correct horse battery staple", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("correct horse battery staple", encoded)


# --- session expiry warning --------------------------------------------------------------


def test_staff_pages_carry_the_session_timing_for_the_warning(client, receptionist):
    client.force_login(receptionist)
    page = client.get(reverse("intake:reception_home")).content.decode()
    assert 'data-session-timeout="1800"' in page
    assert 'data-session-warning="300"' in page
    assert "data-session-warning-box" in page


def test_the_login_page_has_no_session_warning(client):
    assert "data-session-timeout" not in client.get(LOGIN).content.decode()


def test_stay_logged_in_renews_the_session(client, receptionist):
    client.force_login(receptionist)
    response = client.post(reverse("security:session_keepalive"))
    assert response.status_code == 204
    assert client.session.get_expiry_age() == 1800


def test_an_expired_session_is_sent_to_login(client, receptionist, time_machine):
    time_machine.move_to("2026-03-02 09:00 +01:00")
    client.force_login(receptionist)
    time_machine.move_to("2026-03-02 09:31 +01:00")
    response = client.get(reverse("intake:reception_home"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- two-step login ----------------------------------------------------------------------


@pytest.fixture
def enforced(settings):  # type: ignore[no-untyped-def]
    settings.BACKPATH_2FA_REQUIRED_ROLES = ["manager", "admin"]


def _login(client, user):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD})


def _enrol(client):  # type: ignore[no-untyped-def]
    client.get(reverse("security:twofactor_setup"))
    device = TOTPDevice.objects.get(confirmed=False)
    client.post(reverse("security:twofactor_setup"), {"token": _code(device)})
    device.refresh_from_db()
    return device


def test_the_setup_page_shows_the_key_and_a_qr_code_made_here(client, receptionist):
    client.force_login(receptionist)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("security:twofactor_setup"))
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=receptionist)
    assert not device.confirmed
    assert response.context["secret"].replace(" ", "") in device.config_url
    assert "otpauth://totp/Backpath" in page
    assert 'src="data:image/svg+xml' in page


def test_a_right_code_turns_two_step_login_on(client, receptionist):
    client.force_login(receptionist)
    device = _enrol(client)
    assert device.confirmed
    assert client.get(reverse("intake:reception_home")).status_code == 200


def test_a_wrong_code_does_not_turn_it_on(client, receptionist):
    client.force_login(receptionist)
    client.cookies["django_language"] = "en"
    client.get(reverse("security:twofactor_setup"))
    response = client.post(reverse("security:twofactor_setup"), {"token": "000000"})
    assert "This code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_staff_with_an_authenticator_type_a_code_after_the_password(client, receptionist):
    client.force_login(receptionist)
    device = _enrol(client)
    client.logout()
    _login(client, receptionist)
    response = client.get(reverse("intake:reception_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:twofactor_verify"))
    device.refresh_from_db()
    device.last_t = -1  # the enrolment code may still be the current one
    device.save()
    response = client.post(
        reverse("security:twofactor_verify"),
        {"token": _code(device), "next": reverse("intake:reception_home")},
    )
    assert response.status_code == 302
    assert response.url == reverse("intake:reception_home")
    assert client.get(reverse("intake:reception_home")).status_code == 200


def test_a_wrong_second_step_code_keeps_the_user_out(client, receptionist):
    client.force_login(receptionist)
    _enrol(client)
    client.logout()
    _login(client, receptionist)
    client.post(reverse("security:twofactor_verify"), {"token": "000000"})
    response = client.get(reverse("intake:patient_search"))
    assert response.url.startswith(reverse("security:twofactor_verify"))


def test_staff_without_an_authenticator_log_in_with_the_password_only(client, enforced, physio):
    _login(client, physio)
    assert client.get(reverse("treatment:caseload")).status_code == 200


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_must_set_up_two_step_login_first(client, request, enforced, persona):
    user = request.getfixturevalue(persona)
    response = _login(client, user)
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:twofactor_setup"))
    for page in (reverse("dashboards:manager_home"), reverse("records:audit_home"), "/admin/"):
        assert client.get(page).url.startswith(reverse("security:twofactor_setup"))


def test_after_enrolment_the_manager_reaches_their_pages(client, enforced, manager):
    _login(client, manager)
    _enrol(client)
    assert client.get(reverse("dashboards:manager_home")).status_code == 200


def test_an_unverified_manager_can_still_log_out_and_switch_language(client, enforced, manager):
    _login(client, manager)
    assert client.post(reverse("set_language"), {"language": "fr"}).status_code == 302
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_second_step_does_not_follow_an_outside_next_link(client, enforced, manager):
    _login(client, manager)
    client.get(reverse("security:twofactor_setup"))
    device = TOTPDevice.objects.get(user=manager)
    response = client.post(
        reverse("security:twofactor_setup"),
        {"token": _code(device), "next": "https://evil.example/"},
    )
    assert response.url == reverse("dashboards:manager_home")
