"""What patients read (clinical-rules.md section 7): one source of warning signs and
advice, complete wherever it appears, in Dutch, French and English; questionnaire labels
translated; thank-you pages that say what the answers mean and never contradict them."""

import html
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.forms import Form
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real

from demo.followups import follow_up_answers
from followups.forms import CallForm, FollowUpForm
from followups.models import FollowUp
from followups.schedule import local_at
from followups.services import follow_up_reference, run_sweep
from intake import advice
from intake.forms import START_BACK_LABELS, IntakeForm
from intake.services import create_intake_link
from outbox.messages import render_email
from outbox.models import OutboundEmail
from outbox.sealing import unseal_context
from referrals import services as referrals
from tests.factories import (
    PatientFactory,
    make_episode_in_treatment,
    make_follow_up,
    make_plan,
    make_referral,
)
from tests.test_intake_desk import intake_form_data

ROOT = Path(settings.BASE_DIR)
DISPOSITIONS = ("EMERGENCY", "GP_URGENT", "GP_SOON", "PHYSIO")


def _all_signs(language: str) -> list[str]:
    signs = advice.warning_signs(language)
    return [signs.emergency_intro, *signs.emergency, signs.gp_intro, *signs.gp]


def assert_lists_every_warning_sign(page: str, language: str) -> None:
    text = html.unescape(page)
    missing = [sign for sign in _all_signs(language) if sign not in text]
    assert not missing, f"missing warning signs ({language}): {missing}"


# --- the one source ----------------------------------------------------------------------


@pytest.mark.parametrize("text", advice.ADVICE_TEXTS + advice.FOLLOW_UP_TEXTS)
def test_every_advice_text_exists_in_dutch_french_and_english(text):
    assert set(text) == set(advice.LANGUAGES)
    assert all(text[language].strip() for language in advice.LANGUAGES)
    # A copy of the English is no translation.
    assert text["nl"] != text["en"] and text["fr"] != text["en"]


def test_the_emergency_list_names_all_seven_signs_with_weakness_even_if_the_pain_is_less():
    codes = [code for sign in advice.EMERGENCY_SIGNS for code in sign.codes]
    assert codes == [
        "E-SADDLE",
        "E-BLADDER",
        "E-ERECTILE",
        "E-WEAKNESS",
        "E-NUMB-BOTH",
        "E-TRAUMA",
        "E-FEVER",
    ]
    weakness = advice.EMERGENCY_SIGNS[3].text
    assert "even if the pain is less" in weakness["en"]
    assert "ook als de pijn minder wordt" in weakness["nl"]
    assert "même si la douleur diminue" in weakness["fr"]


def test_the_gp_list_covers_every_gp_rule_of_the_leaflets():
    codes = {code for sign in advice.GP_SIGNS for code in sign.codes}
    assert codes == {
        "U-WEIGHT",
        "U-NIGHT",
        "U-UNWELL",
        "U-BILATERAL",
        "S-RADICULAR",
        "S-DURATION",
        "S-AGE55",
        "S-PAINKILLERS",
        "U-CHILD",
    }
    english = " ".join(sign.text["en"] for sign in advice.GP_SIGNS)
    for words in ("weight", "night", "unwell", "both legs", "below the knee", "over 55"):
        assert words in english
    assert "more than 8 days" in english and "under 18" in english


@pytest.mark.parametrize(
    "words",
    [
        "better by itself",
        "chance of recovery is high",
        "within your pain limit",
        "No position or activity is forbidden",
        "Walk and change position often",
        "90 degrees",
        "corset",
        "squatting and twisting",
        "flat shoes",
        "Warmth on your lower back",
        "take time to relax",
        "Talk to your GP",
        "doctor or pharmacist",
        "to work as soon as you can",
    ],
)
def test_the_advice_follows_the_leaflets(words):
    english = " ".join(text["en"] for text in advice.LEAFLET_ADVICE)
    assert words.lower() in english.lower()


def test_the_advice_names_the_pain_clinic_campuses_with_their_phone_numbers():
    line = advice.patient_advice("PHYSIO", "nl").pain_clinic
    assert "huisarts" in line and "Bornem (03 890 59 23) of Rumst (03 880 90 11)" in line


def test_an_emergency_gets_the_action_and_the_signs_but_no_self_care():
    emergency = advice.patient_advice("EMERGENCY", "en")
    assert emergency.action.startswith("Go to the emergency department now")
    assert emergency.paragraphs == () and emergency.pain_clinic == ""
    assert len(emergency.signs.emergency) == 7


def test_physiotherapy_advice_prints_the_date_from_which_strengthening_may_start():
    physio = advice.patient_advice("PHYSIO", "fr", strengthening_from=date(2026, 4, 8))
    assert "5 à 10 fois de suite, le matin et le soir" in physio.exercises[0]
    assert "à partir du 08/04/2026" in physio.exercises[1]


# --- questionnaire labels ----------------------------------------------------------------


def _texts_of(form: Form) -> list[str]:
    """The msgids of every label, help text and choice a patient or the desk reads."""
    texts = []
    for name, field in form.fields.items():
        # Labels that name a date are formatted; ``label_msgids`` holds their msgids.
        parts = [getattr(form, "label_msgids", {}).get(name, field.label), field.help_text]
        # The Oswestry answers are data in three languages (tests/test_odi_text.py).
        if not name.startswith("odi_"):
            parts += [label for _value, label in getattr(field, "choices", [])]
        for part in parts:
            if isinstance(part, Promise):
                texts.append(part._args[0])  # type: ignore[attr-defined]
            elif isinstance(part, str) and re.search(r"[A-Za-z]{3}", part):
                texts.append(f"{name}: untranslated {part!r}")
    return texts


FORM_ARGUMENTS: dict[type, dict[str, object]] = {
    IntakeForm: {"sex": "M"},
    FollowUpForm: {"intake_date": date(2026, 1, 5), "sex": "M"},
}


# English is the msgid itself; Dutch and French must be in their catalogs.
@pytest.mark.django_db
@pytest.mark.parametrize("form_class", [IntakeForm, FollowUpForm, CallForm])
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_questionnaire_label_exists_in_each_language(form_class, language):
    catalog = trans_real.translation(language)._catalog
    # Registered as male: the erection question is asked too.
    form = form_class(**FORM_ARGUMENTS.get(form_class, {}))
    missing = [text for text in _texts_of(form) if not catalog.get(text)]
    assert not missing, f"{form_class.__name__} labels missing in {language}: {missing}"


# --- every page and e-mail that lists warning signs lists all of them ---------------------


@pytest.mark.django_db
@pytest.mark.parametrize("disposition", DISPOSITIONS)
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_printed_advice_sheet_lists_every_sign_and_the_leaflet_advice(
    client, receptionist, disposition, language
):
    client.force_login(receptionist)
    page = client.get(reverse("intake:advice_sheet", args=[disposition, language]))
    text = html.unescape(page.content.decode())

    assert_lists_every_warning_sign(text, language)
    assert advice.ACTION[disposition][language] in text
    if disposition != "EMERGENCY":
        assert all(item[language] in text for item in advice.LEAFLET_ADVICE)


@pytest.mark.django_db
@pytest.mark.parametrize("answers", [{}, {"bladder_bowel": "True"}])
def test_the_self_intake_thank_you_page_lists_every_sign(client, receptionist, answers):
    patient = PatientFactory(language="fr", email="", email_consent=False, email_consent_at=None)
    _link, token = create_intake_link(patient, by=receptionist)
    page = client.post(
        reverse("intake_public:self_intake", args=[token]), intake_form_data(**answers)
    )
    assert_lists_every_warning_sign(page.content.decode(), "fr")


@pytest.mark.django_db
def test_the_triage_result_for_the_desk_lists_every_sign(client, receptionist):
    from tests.factories import make_intake

    assessment = make_intake(PatientFactory(language="en"))
    client.force_login(receptionist)
    response = client.get(reverse("intake:intake_result", args=[assessment.pk]))
    assert_lists_every_warning_sign(response.content.decode(), response.context["advice"].language)


@pytest.mark.django_db
def test_the_exercise_handout_lists_every_sign(client, physio):
    episode = make_episode_in_treatment(physio, patient=PatientFactory(language="nl"))
    make_plan(episode, physio, exercises=["knee-to-chest"])
    client.force_login(physio)
    page = client.get(reverse("treatment:handout", args=[episode.pk])).content.decode()
    assert_lists_every_warning_sign(page, "nl")
    assert advice.LEAFLET_ADVICE[0]["nl"] in html.unescape(page)


DUE = local_at(date(2026, 12, 1))


def _invited(language: str) -> tuple[FollowUp, str]:
    follow_up = make_follow_up(intake_date=date(2026, 10, 20), language=language)
    run_sweep(DUE)
    email = OutboundEmail.objects.get(reference=follow_up_reference(follow_up))
    return follow_up, unseal_context(email.context)["questionnaire_url"].removeprefix(
        "http://127.0.0.1:8000"
    )


def _post(answers: dict) -> dict:  # type: ignore[type-arg]
    """The form fields of ``answers``, STarT Back (asked again since 2027.1) "disagree"."""
    data = {key: value for key, value in answers.items() if key != "odi"}
    data.update({key: "0" for key in START_BACK_LABELS}, bothersomeness="slightly")
    return data


def _thanks(client, path: str, **answers: object) -> str:  # type: ignore[no-untyped-def]
    """The thank-you page after answering ``answers`` (the rest as the demo patient)."""
    response = client.post(path, _post(follow_up_answers(**answers)))
    return html.unescape(response.content.decode())


@pytest.fixture
def on_day_two(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(DUE + timedelta(days=1, hours=3), tick=False)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_follow_up_email_lists_every_sign(on_day_two, language):
    follow_up, _path = _invited(language)
    emails = OutboundEmail.objects.filter(reference=follow_up_reference(follow_up))
    assert emails.exists()
    for email in emails:
        _subject, text, page = render_email(email)
        assert_lists_every_warning_sign(text, language)
        assert_lists_every_warning_sign(page, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_referral_email_lists_every_sign(physio, language):
    referral = make_referral(patient=PatientFactory(language=language, postcode="2880"))
    referrals.send_referral(referral, by=physio)
    _subject, text, page = render_email(OutboundEmail.objects.get(template="referral_sent"))
    assert_lists_every_warning_sign(text, language)
    assert_lists_every_warning_sign(page, language)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answers",
    [
        {"still_back_pain": False, "pain_now": 0},
        {"pain_now": 3, "global_change": "better"},
        {"pain_now": 7, "global_change": "worse"},
        {"saddle_numbness": True},
    ],
)
def test_every_follow_up_thank_you_page_lists_every_sign(client, on_day_two, answers):
    _follow_up, path = _invited("fr")
    page = client.post(path, _post(follow_up_answers(**answers))).content.decode()
    assert_lists_every_warning_sign(page, "fr")


@pytest.mark.django_db
def test_the_follow_up_result_for_staff_lists_every_sign_in_the_patients_language(
    client, on_day_two, receptionist
):
    follow_up, path = _invited("fr")
    client.post(path, _post(follow_up_answers(saddle_numbness=True)))
    client.force_login(receptionist)
    page = client.get(reverse("followups:result", args=[follow_up.pk])).content.decode()
    assert_lists_every_warning_sign(page, "fr")


WARNING_SIGN_PARTIALS = {
    "_warning_signs.html",
    "emails/_warning_signs.html",
    "emails/_warning_signs.txt",
}


def test_no_template_writes_its_own_list_of_warning_signs():
    """Every template shows the signs through the ``warning_signs`` tags (one source)."""
    templates = ROOT / "templates"
    own_lists = []
    for path in templates.rglob("*.*"):
        name = path.relative_to(templates).as_posix()
        if name in WARNING_SIGN_PARTIALS:
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(
            r"signs_intro|advice\.signs|_emergency\.txt|emergency department straight", source
        ):
            own_lists.append(name)
    assert own_lists == [], "use {% warning_signs %} / {% warning_signs_email_text %} (intake_tags)"


def test_no_code_outside_the_advice_module_holds_warning_sign_texts():
    english = [sign.text["en"] for sign in advice.EMERGENCY_SIGNS + advice.GP_SIGNS]
    holders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")) or relative == "intake/advice.py":
            continue
        source = path.read_text(encoding="utf-8")
        # A rule's reason may name its own sign; a list of signs belongs in advice.py.
        if sum(text in source for text in english) > 2 or "EMERGENCY_SIGNS" in source:
            holders.append(relative)
    assert holders == []


# --- thank-you pages say what the answers mean ----------------------------------------------


@pytest.mark.django_db
def test_recovered_is_thanked_for_a_back_that_has_almost_healed(client, on_day_two):
    _follow_up, path = _invited("en")
    page = _thanks(client, path, still_back_pain=False, pain_now=1)
    assert "your back pain has almost gone: your pain is now 1/10" in page
    assert "propose to close your treatment" in page
    assert "pain clinic" not in page.split("Make an appointment with your GP")[0].lower()


@pytest.mark.django_db
def test_improving_at_the_first_follow_up_hears_of_the_next_one(client, on_day_two):
    _follow_up, path = _invited("nl")
    page = _thanks(client, path, pain_now=3, global_change="better")
    assert "uw rugpijn beter wordt, maar nog niet over is: uw pijn is nu 3/10" in page
    assert "Over zes weken vragen we u opnieuw" in page
    assert "pijnkliniek" not in page


@pytest.mark.django_db
def test_persistent_pain_hears_of_the_referral_and_both_campus_phones(client, on_day_two):
    _follow_up, path = _invited("fr")
    page = _thanks(client, path, pain_now=7, global_change="worse")
    assert (
        "ne s'est pas assez amélioré depuis l'accueil : votre douleur est maintenant de 7/10"
        in page
    )
    assert "demandez l'orientation à votre médecin généraliste" in page
    assert "Bornem (03 890 59 23) ou Rumst (03 880 90 11)" in page


@pytest.mark.django_db
def test_a_new_warning_sign_puts_the_emergency_first_with_the_reason(client, on_day_two):
    _follow_up, path = _invited("en")
    page = _thanks(client, path, leg_weakness=True)
    action = page.index("Go to the emergency department now")
    assert action < page.index("Once a doctor has seen you")
    assert "getting better" not in page[:action]


def test_a_gp_soon_sign_adds_see_your_gp_this_week_without_changing_the_course():
    message = advice.follow_up_message(
        state="improving",
        course="improving",
        disposition="GP_SOON",
        reasons=["S-PAINKILLERS"],
        reason_texts=["You still need painkillers."],
        pain_now=3,
        follow_up_number=1,
        language="en",
    )
    assert message.action == "See your GP this week."
    assert message.reasons == ("You still need painkillers.",)
    assert "getting better" in message.course and "In six weeks" in message.next_step


def test_improving_at_the_second_follow_up_hears_from_the_physiotherapist():
    message = advice.follow_up_message(
        state="improving",
        course="improving",
        disposition=None,
        reasons=[],
        reason_texts=[],
        pain_now=3,
        follow_up_number=2,
        language="en",
    )
    assert "Your physiotherapist will look at your answers" in message.next_step
    assert "six weeks" not in message.next_step


def test_contradictory_answers_promise_a_phone_call_not_a_next_step():
    message = advice.follow_up_message(
        state="persistent",
        course="persistent",
        disposition=None,
        reasons=["CHECK-ANSWERS"],
        reason_texts=[],
        pain_now=7,
        follow_up_number=1,
        language="nl",
    )
    assert "We bellen u" in message.next_step and "7/10" in message.next_step
    assert "pijnkliniek" not in message.next_step


def test_the_follow_up_message_has_no_exercise_or_pain_clinic_line_that_could_contradict():
    message = advice.follow_up_message(
        state="improving",
        course="improving",
        disposition=None,
        reasons=[],
        reason_texts=[],
        pain_now=3,
        follow_up_number=1,
        language="en",
    )
    assert message.advice.pain_clinic == "" and message.advice.exercises == ()
    with translation.override("en"):
        assert len(message.advice.signs.emergency) == 7
