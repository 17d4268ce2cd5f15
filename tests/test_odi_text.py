"""The Oswestry answer texts: Backpath's own descriptions, or a clinic's licensed text
loaded from a data file; pages say which is in use (clinical-rules.md section 3)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from intake import odi_text, patient_texts
from intake.checks import check_odi_text_file
from intake.forms import IntakeForm


@pytest.fixture(autouse=True)
def _fresh_text_cache():
    patient_texts._odi_text_from.cache_clear()
    yield
    patient_texts._odi_text_from.cache_clear()


def licensed_document() -> dict:  # type: ignore[type-arg]
    return {
        "name": "ODI 2.1a, licence 1234",
        "texts": {
            language: {
                section: [f"{language} {section} statement {level}" for level in range(6)]
                for section in odi_text.SECTIONS
            }
            for language in odi_text.LANGUAGES
        },
    }


@pytest.mark.parametrize("language", odi_text.LANGUAGES)
def test_the_project_describes_each_of_six_levels_of_each_of_ten_sections(language):
    levels = odi_text.PROJECT_TEXT.levels[language]
    assert tuple(levels) == odi_text.SECTIONS
    for section, texts in levels.items():
        assert len(texts) == 6 and all(text.strip() for text in texts), section
        assert len(set(texts)) == 6, section


def test_the_translations_differ_from_the_english():
    english = odi_text.PROJECT_TEXT.levels["en"]
    for language in ("nl", "fr"):
        for section in odi_text.SECTIONS:
            assert odi_text.PROJECT_TEXT.levels[language][section] != english[section]


@pytest.mark.django_db
def test_the_intake_form_shows_each_level_with_its_description(settings):
    settings.BACKPATH_ODI_TEXT_FILE = ""
    with translation.override("en"):
        form = IntakeForm(sex="F")
    assert dict(form.fields["odi_walking"].choices)["2"] == "2 · not more than about 500 metres"


def test_a_licensed_file_is_loaded_and_used(tmp_path, settings):
    path = tmp_path / "odi.json"
    path.write_text(json.dumps(licensed_document()), encoding="utf-8")
    settings.BACKPATH_ODI_TEXT_FILE = str(path)

    text = patient_texts.current_odi_text()
    assert (text.source, text.name) == ("licensed", "ODI 2.1a, licence 1234")
    assert patient_texts.odi_choices("sleeping", "fr")[3] == ("3", "3 · fr sleeping statement 3")


def test_a_file_with_missing_statements_names_every_problem(tmp_path):
    document = licensed_document()
    del document["texts"]["fr"]
    document["texts"]["nl"]["lifting"] = ["only one"]
    path = tmp_path / "odi.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(odi_text.OdiTextError) as error:
        odi_text.load_file(path)
    assert error.value.problems == ["nl.lifting: needs 6 non-empty statements", "fr: missing"]


def test_the_system_check_reports_an_unusable_file(tmp_path, settings):
    path = tmp_path / "odi.json"
    path.write_text("{not json", encoding="utf-8")
    settings.BACKPATH_ODI_TEXT_FILE = str(path)
    assert [message.id for message in check_odi_text_file()] == ["intake.E001"]


def test_the_command_checks_a_file_and_says_which_text_is_in_use(tmp_path, settings, capsys):
    path = tmp_path / "odi.json"
    path.write_text(json.dumps(licensed_document()), encoding="utf-8")
    call_command("odi_text", str(path))
    assert "OK: ODI 2.1a, licence 1234" in capsys.readouterr().out

    settings.BACKPATH_ODI_TEXT_FILE = ""
    call_command("odi_text")
    assert "Backpath's own short descriptions" in capsys.readouterr().out


def test_the_command_template_is_a_valid_file(tmp_path, capsys):
    call_command("odi_text", "--template")
    path = tmp_path / "odi.json"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    assert odi_text.load_file(path).source == "licensed"


def test_the_command_refuses_a_bad_file(tmp_path):
    path = tmp_path / "odi.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("odi_text", str(path))


@pytest.mark.django_db
def test_the_intake_page_says_which_text_is_in_use(client, receptionist, tmp_path, settings):
    from tests.factories import PatientFactory

    patient = PatientFactory()
    client.force_login(receptionist)
    page = client.get(reverse("intake:intake_new", args=[patient.pk])).content.decode()
    assert 'data-odi-text="project"' in page

    path = tmp_path / "odi.json"
    path.write_text(json.dumps(licensed_document()), encoding="utf-8")
    settings.BACKPATH_ODI_TEXT_FILE = str(path)
    page = client.get(reverse("intake:intake_new", args=[patient.pk])).content.decode()
    assert 'data-odi-text="licensed"' in page and "ODI 2.1a, licence 1234" in page
