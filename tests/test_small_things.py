"""The little things that cost minutes every day (issue 16, item 7)."""

import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation

from clinics.forms import DayField
from intake.forms import PatientForm
from intake.models import format_insz
from outbox.mailfiles import EmlFileBackend
from tests.factories import PatientFactory, make_episode_in_treatment, make_plan
from treatment.forms import SessionForm

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_points_e_mailed_links_at_its_port():
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=18811"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    web = [line for line in dry_run.splitlines() if "honcho" in line]
    assert web and "SITE_URL=http://127.0.0.1:18811" in web[0]


def test_the_file_mail_backend_writes_one_readable_eml_per_message(tmp_path):
    backend = EmlFileBackend(file_path=str(tmp_path))
    messages = [
        EmailMessage("Your questionnaire", "Hello", to=["an@example.org"]),
        EmailMessage("Uw vragenlijst", "Dag", to=["jan@example.org"]),
    ]
    assert backend.send_messages(messages) == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    names = " ".join(f.name for f in files)
    assert "an@example.org_Your-questionnaire" in names
    assert "jan@example.org_Uw-vragenlijst" in names
    assert files[0].name[:8] == date.today().strftime("%Y%m%d")
    assert b"Subject: " in files[0].read_bytes()


def test_a_day_is_read_as_dd_mm_yyyy_in_every_language():
    for language in ("en", "nl", "fr"):
        with translation.override(language):
            assert DayField().clean("03/12/2026") == date(2026, 12, 3)
    assert DayField().clean("2026-12-03") == date(2026, 12, 3)
    html = DayField().widget.render("day", date(2026, 12, 3))
    assert 'type="text"' in html and 'value="03/12/2026"' in html and "pattern=" in html


def test_insz_is_shown_as_on_the_eid_card():
    assert format_insz("85073003328") == "85.07.30-033.28"


@pytest.mark.django_db
def test_the_patient_page_shows_the_insz_formatted(client, receptionist):
    patient = PatientFactory(insz="85073003328", no_insz_reason="")
    client.force_login(receptionist)
    page = client.get(reverse("intake:patient_detail", args=[patient.pk])).content.decode()
    assert "85.07.30-033.28" in page


@pytest.mark.django_db
def test_a_new_patient_has_no_default_sex():
    form = PatientForm()
    assert form["sex"].value() in (None, "")
    assert form.fields["sex"].choices[0][0] == ""
    assert "sex" in PatientForm(data={}).errors


@pytest.mark.django_db
@translation.override("en")
def test_adherence_follows_the_prescription(physio):
    bare = make_episode_in_treatment(physio)
    make_plan(bare, physio)
    blank = dict(SessionForm(episode=bare).fields["adherence"].choices)[""]
    assert str(blank) == "no exercises prescribed"
    treated = make_episode_in_treatment(physio)
    make_plan(treated, physio, exercises=["knee-to-chest"])
    blank = dict(SessionForm(episode=treated).fields["adherence"].choices)[""]
    assert str(blank) == "not asked this session"
