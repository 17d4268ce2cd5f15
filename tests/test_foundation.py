import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from clinics.models import Campus
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROLE_HOME = [
    ("receptionist", "intake:reception_home"),
    ("physio", "treatment:caseload"),
    ("coordinator_bornem", "referrals:coordinator_home"),
    ("manager", "dashboards:manager_home"),
    ("admin_user", "home"),  # a start page with the way into the administration
]


@pytest.mark.parametrize(("persona", "home"), ROLE_HOME)
def test_each_role_lands_on_its_own_home_page_after_login(client, request, persona, home):
    user = request.getfixturevalue(persona)
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(home)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "intake:reception_home",
        "treatment:caseload",
        "referrals:coordinator_home",
        "dashboards:manager_home",
    ],
)
def test_anonymous_users_are_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("receptionist", "treatment:caseload"),
        ("physio", "intake:reception_home"),
        ("coordinator_bornem", "dashboards:manager_home"),
        ("manager", "referrals:coordinator_home"),
    ],
)
def test_a_wrong_role_gets_403(client, request, persona, url_name):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(url_name)).status_code == 403


def test_a_user_without_role_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password=PASSWORD)
    client.force_login(user)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("no_role")
    assert response.status_code == 403


def test_the_campuses_and_their_catchments_are_created_by_migration():
    bornem = Campus.objects.get(code="bornem")
    rumst = Campus.objects.get(code="rumst")
    assert (bornem.phone, rumst.phone) == ("03 890 59 23", "03 880 90 11")
    assert set(bornem.catchment.values_list("postcode", flat=True)) == {
        "2880",
        "2870",
        "2890",
        "1840",
        "9140",
        "9255",
    }
    assert set(rumst.catchment.values_list("postcode", flat=True)) == {
        "2840",
        "2850",
        "2845",
        "2627",
        "2620",
        "2630",
        "2550",
        "2570",
    }


def test_the_coordinator_page_names_their_campus(client, coordinator_rumst):
    client.force_login(coordinator_rumst)
    response = client.get(reverse("referrals:coordinator_home"))
    assert "Rumst" in response.content.decode()


@pytest.mark.slow
def test_seed_demo_is_idempotent_and_every_demo_login_works(
    client, django_user_model, demo_switches
):
    call_command("seed_demo")
    count = django_user_model.objects.count()
    call_command("seed_demo")
    assert django_user_model.objects.count() == count
    from demo.clinics import DEMO_PASSWORD, DEMO_USERS

    for demo in DEMO_USERS:
        assert client.login(username=demo.username, password=DEMO_PASSWORD), demo.username
        assert client.get(reverse("home"), follow=True).status_code == 200
        client.logout()


@pytest.mark.parametrize(("debug", "demo"), [(False, "1"), (True, None), (True, "0")])
def test_seed_demo_needs_debug_and_backpath_demo(settings, monkeypatch, debug, demo):
    from django.core.management.base import CommandError

    settings.DEBUG = debug
    if demo is None:
        monkeypatch.delenv("BACKPATH_DEMO", raising=False)
    else:
        monkeypatch.setenv("BACKPATH_DEMO", demo)
    with pytest.raises(CommandError, match="BACKPATH_DEMO=1"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_seed_demo_refuses_a_database_with_real_accounts(demo_switches):
    from django.core.management.base import CommandError

    get_user_model().objects.create_user("dr.real", password="a-real-password-1")
    with pytest.raises(CommandError, match="not demo accounts"):
        call_command("seed_demo")
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["dr.real"]


@pytest.mark.parametrize("command", ["check", "makemigrations"])
def test_manage_py_never_switches_debug_on_by_itself(command):
    """No DEBUG and no SECRET_KEY in the environment: production mode, which refuses,
    saying why (not Django's "Models aren't loaded yet")."""
    env = _production_env()
    del env["DEBUG"]
    result = subprocess.run(
        [sys.executable, "manage.py", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_readmes_development_commands_still_work():
    """The README's ``DEBUG=1 .venv/bin/python manage.py ...`` lines need nothing else."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=_production_env(DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_proxy_header_is_trusted_only_behind_a_proxy():
    code = (
        "from django.conf import settings; "
        "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    secret = {"SECRET_KEY": "x7" * 30 + "-production-like-secret-key-value"}
    direct, proxied = (
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            env=_production_env(**secret, **extra),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        for extra in ({}, {"BACKPATH_BEHIND_PROXY": "1"})
    )
    assert direct == "None"
    assert proxied == "('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.parametrize(
    ("language", "text"), [("nl", "Inloggen"), ("fr", "Se connecter"), ("en", "Log in")]
)
def test_the_login_page_speaks_the_chosen_language(client, language, text):
    client.cookies["django_language"] = language
    response = client.get(reverse("login"))
    assert text in response.content.decode()


def test_static_files_are_served_locally(client):
    response = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert response.status_code == 200


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPATH_", "DEBUG"))}
    env.update({"DEBUG": "0", "ALLOWED_HOSTS": "backpath.example"}, **extra)
    return env


def test_production_settings_pass_the_deploy_check():
    env = _production_env(SECRET_KEY="x7" * 30 + "-production-like-secret-key-value")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_seed_demo_has_patients_with_every_disposition_and_adds_none_twice(demo_switches):
    from intake.models import IntakeAssessment, Patient

    call_command("seed_demo")
    patients = Patient.objects.count()
    call_command("seed_demo")
    assert Patient.objects.count() == patients >= 40
    dispositions = set(IntakeAssessment.objects.values_list("disposition", flat=True))
    assert dispositions == {"EMERGENCY", "GP_URGENT", "GP_SOON", "PHYSIO"}


def test_collectstatic_works_under_production_settings(tmp_path):
    env = _production_env(SECRET_KEY="x7" * 30 + "-production-like-secret-key-value")
    env["STATIC_ROOT"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
