"""Malformed input thrown at every form: never a server error, never half-saved.

Each example starts from a valid submission and breaks some fields (wrong types, huge
or empty values, control characters, other scripts' digits, extra and missing keys).
The answer is the form again (200) or the normal success redirect; on a form error no
row was written. Covered: login, patient registration and edit, the desk intake, the
patient's own intake link, patient search and the two-step code. The follow-up forms
(questionnaire link, answers by phone, call result) are fuzzed the same way in
``test_fuzz_followup_forms``; the referral and treatment forms are left to their own
tests for now.
"""

from datetime import date
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.models import Alert, Episode, IntakeAssessment, IntakeLink, Patient
from intake.services import create_intake_link
from tests.factories import PASSWORD, PatientFactory
from tests.test_intake_desk import intake_form_data

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GARBAGE = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=14),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "\x00",
            "True",
            "true",
            "on",
            "None",
            "null",
            "[]",
            "{}",
            "9" * 400,
            "0" * 11,
            "85073003328",
            "85.07.30-033.28",
            "31/02/2020",
            "2020-02-30",
            "0000-00-00",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "%00",
            "é" * 300,
            "+32470123456",
            "04 70 12 34 56",
            "1e400",
            "-1",
            "11",
            "not_at_all",
            "below_knee",
        ]
    ),  # fmt: skip
    st.lists(st.text(max_size=5), min_size=2, max_size=3),
)


def _mutations(fields: list[str]) -> st.SearchStrategy[tuple[dict[str, object], list[str]]]:
    keys = st.sampled_from([*fields, "junk", "csrfmiddlewaretoken", "confirm_new"])
    return st.tuples(
        st.dictionaries(keys, GARBAGE, max_size=6),
        st.lists(st.sampled_from(fields), max_size=4, unique=True),
    )


def _mutate(data: dict[str, object], mutation: tuple[dict[str, object], list[str]]) -> dict:
    changed, dropped = mutation
    result = {k: v for k, v in data.items() if k not in dropped}
    result.update(changed)
    return result


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Patient, Episode, IntakeAssessment, Alert))


def _intake_data() -> dict[str, object]:
    return dict(intake_form_data())


def _patient_data() -> dict[str, object]:
    return {
        "insz": "",
        "no_insz_reason": "tourist",
        "last_name": "Fuzz",
        "first_name": "Test",
        "birth_date": "1980-05-17",
        "sex": "F",
        "language": "nl",
        "email": "fuzz@example.org",
        "phone": "0470123456",
        "postcode": "2880",
        "gp_name": "",
        "gp_practice": "",
        "email_consent": "on",
        "campus_preference": "",
    }


INTAKE_FIELDS = list(_intake_data())
PATIENT_FIELDS = list(_patient_data())


@FUZZ
@given(mutation=_mutations(PATIENT_FIELDS))
def test_patient_registration_survives_malformed_input(desk, mutation):
    before = Patient.objects.count()
    response = desk.post(reverse("intake:patient_new"), _mutate(_patient_data(), mutation))
    assert response.status_code in (200, 302)
    expected = before + 1 if response.status_code == 302 else before
    assert Patient.objects.count() == expected
    Patient.objects.filter(last_name_key="fuzz", episodes__isnull=True).delete()


@FUZZ
@given(mutation=_mutations(PATIENT_FIELDS))
def test_patient_edit_survives_malformed_input(desk, mutation):
    patient = PatientFactory(last_name="Stable", birth_date=date(1970, 1, 1))
    response = desk.post(
        reverse("intake:patient_edit", args=[patient.pk]), _mutate(_patient_data(), mutation)
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        patient.refresh_from_db()
        assert patient.last_name == "Stable"


@FUZZ
@given(mutation=_mutations(INTAKE_FIELDS))
def test_the_desk_intake_survives_malformed_input(desk, mutation):
    patient = PatientFactory()
    before = _counts()
    response = desk.post(
        reverse("intake:intake_new", args=[patient.pk]), _mutate(_intake_data(), mutation)
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _counts() == before


@FUZZ
@given(mutation=_mutations(INTAKE_FIELDS))
def test_the_patients_own_intake_link_survives_malformed_input(mutation):
    link, token = create_intake_link(PatientFactory(), by=None)
    before = _counts()
    response = Client().post(
        reverse("intake_public:self_intake", args=[token]), _mutate(_intake_data(), mutation)
    )
    assert response.status_code == 200
    link.refresh_from_db()
    if link.used_at is None:
        assert _counts() == before
    else:
        assert IntakeAssessment.objects.filter(episode__patient=link.patient).count() == 1


@FUZZ
@given(token=st.text(min_size=1, max_size=80))
def test_guessed_link_tokens_are_plain_not_found(token):
    client = Client()
    for prefix in ("/intake/", "/q/"):
        response = client.get(prefix + quote(token, safe="") + "/")
        assert response.status_code == 404
    assert not IntakeLink.objects.filter(used_at__isnull=False).exists()


@FUZZ
@given(username=GARBAGE, password=GARBAGE)
def test_login_survives_malformed_input(receptionist, username, password):
    response = Client().post(reverse("login"), {"username": username, "password": password})
    assert response.status_code in (200, 429)


@FUZZ
@given(query=GARBAGE, page=GARBAGE)
def test_patient_search_survives_malformed_queries(desk, query, page):
    response = desk.get(reverse("intake:patient_search"), {"q": query, "page": page})
    assert response.status_code == 200


@FUZZ
@given(token=GARBAGE)
def test_the_two_step_code_survives_malformed_input(desk, token):
    response = desk.post(reverse("security:twofactor_setup"), {"token": token})
    assert response.status_code == 200


def test_the_right_password_still_logs_in_after_fuzzing(client, receptionist):
    response = client.post(
        reverse("login"), {"username": receptionist.username, "password": PASSWORD}
    )
    assert response.status_code == 302
