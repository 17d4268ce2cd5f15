"""Issue 15: every form and every GET parameter the views read, fuzzed.

``test_fuzz_forms`` and ``test_fuzz_followup_forms`` cover registration, intake, login,
search, the two-step code and the follow-up forms. This module adds the rest: the
treatment forms (plan with goals, session, discharge), the referral forms (proposal,
booking and the other coordinator actions, capacity), the erasure confirmation,
``next=``, and every query parameter (pages, keyset ids, months, campus, state).
Each answer must not be a server error (the test client raises it); a POST that is
refused (anything but the success redirect) writes nothing. ``test_every_get_parameter
_is_fuzzed`` fails when a view starts reading a parameter this module does not try.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clinics.models import Campus
from pathway.services import discharge
from referrals import services as referral_services
from tests.factories import PatientFactory, StaffFactory, make_episode_in_treatment
from tests.test_fuzz_forms import FUZZ, GARBAGE

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
# Rows a refused request may still write: the read log (a form shown again is a read),
# sessions, and the login-attempt tables.
MAY_CHANGE = {"security.readlog", "sessions.session", "axes.accesslog", "axes.accessattempt"}


def _database() -> dict[str, list[Any]]:
    return {
        model._meta.label_lower: sorted(model._base_manager.values_list(), key=str)
        for model in apps.get_models()
        if model._meta.label_lower not in MAY_CHANGE
    }


def _mutated(base: dict[str, Any], fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from([*fields, "junk"])
    return st.tuples(
        st.dictionaries(keys, GARBAGE, max_size=5),
        st.lists(st.sampled_from(fields), max_size=3, unique=True),
    ).map(lambda m: {**{k: v for k, v in base.items() if k not in m[1]}, **m[0]})


def _post_and_check(client: Client, url: str, data: dict[str, Any], **extra: Any) -> None:
    before = _database()
    response = client.post(url, data, **extra)
    assert response.status_code < 500
    if response.status_code != 302:
        assert _database() == before, f"a refused POST to {url} wrote to the database"


@pytest.fixture
def world(physio, coordinator_bornem, manager, receptionist):  # type: ignore[no-untyped-def]
    """One of each: an episode in treatment, a referral sent to Bornem, and signed-in
    clients for the physiotherapist, the Bornem coordinator, the manager and reception."""
    episode = make_episode_in_treatment(physio, patient=PatientFactory(postcode="2880"))
    referral = referral_services.propose_referral(
        episode, source="physio", reason="Still in pain", by=physio
    )
    referral = referral_services.send_referral(referral, by=physio)
    clients = {}
    for name, user in (
        ("physio", physio),
        ("coordinator", coordinator_bornem),
        ("manager", manager),
        ("reception", receptionist),
    ):
        clients[name] = Client()
        clients[name].force_login(user)
    return {"episode": episode, "referral": referral, **clients}


# --- forms -------------------------------------------------------------------------------

PLAN = {
    "approach": "physiotherapy",
    "sessions_per_week": "2",
    "planned_sessions": "8",
    "next_session_on": "",
    "goals-TOTAL_FORMS": "1",
    "goals-INITIAL_FORMS": "0",
    "goals-0-description": "Walk 30 minutes",
    "goals-0-target_date": "",
}
SESSION = {
    "session_date": "",
    "pain_now": "4",
    "odi_percent": "",
    "work_done": "Mobilisation",
    "adherence": "",
    "notes": "",
    "next_session_on": "",
}
DISCHARGE = {"outcome": "recovered", "note": ""}


@FUZZ
@given(data=_mutated(PLAN, [*PLAN, "exercises"]))
def test_the_treatment_plan_survives_malformed_input(world, data):
    url = reverse("treatment:plan", args=[world["episode"].pk])
    _post_and_check(world["physio"], url, data)


@FUZZ
@given(data=_mutated(SESSION, list(SESSION)))
def test_a_session_survives_malformed_input(world, data):
    url = reverse("treatment:session_new", args=[world["episode"].pk])
    _post_and_check(world["physio"], url, data)


@FUZZ
@given(data=_mutated(DISCHARGE, list(DISCHARGE)))
def test_the_discharge_survives_malformed_input(world, data):
    url = reverse("treatment:discharge", args=[world["episode"].pk])
    _post_and_check(world["physio"], url, data)


@FUZZ
@given(data=_mutated({"reason": "No progress"}, ["reason"]))
def test_a_referral_proposal_survives_malformed_input(physio, data):
    episode = make_episode_in_treatment(physio)
    client = Client()
    client.force_login(physio)
    _post_and_check(client, reverse("referrals:for_episode", args=[episode.pk]), data)


ACTIONS = {
    "book": {"book-day": "2026-12-20", "book-at": "10:00", "book-place": ""},
    "close": {"close-note": ""},
    "decline": {"decline-reason": "Not for us"},
    "redirect": {"redirect-campus": "", "redirect-reason": "Closer to home"},
    "cancel": {"cancel-reason": "Patient moved"},
    "accept": {},
    "seen": {},
}


@FUZZ
@given(
    action=st.sampled_from(sorted(ACTIONS)),
    garbage=st.dictionaries(
        st.sampled_from(
            [
                "book-day",
                "book-at",
                "book-place",
                "close-note",
                "decline-reason",
                "redirect-campus",
                "redirect-reason",
                "cancel-reason",
                "next",
                "row",
            ]
        ),
        GARBAGE,
        max_size=4,
    ),  # fmt: skip
    htmx=st.booleans(),
)
def test_the_coordinators_actions_survive_malformed_input(world, action, garbage, htmx):
    url = reverse("referrals:action", args=[world["referral"].pk, action])
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    before = _database()
    response = world["coordinator"].post(url, {**ACTIONS[action], **garbage}, **extra)
    assert response.status_code < 500
    if response.status_code in (400, 403, 404, 405) or "error" in (response.context or {}):
        assert _database() == before


@FUZZ
@given(campus=GARBAGE, capacity=GARBAGE, accepting=GARBAGE)
def test_the_capacity_form_survives_malformed_input(world, campus, capacity, accepting):
    bornem = Campus.objects.get(code="bornem")
    data = {
        "campus": campus,
        f"c{bornem.pk}-weekly_capacity": capacity,
        f"c{bornem.pk}-accepting_referrals": accepting,
    }
    _post_and_check(world["manager"], reverse("referrals:capacity"), data)


def test_an_unknown_campus_is_a_400_with_a_message(world):
    response = world["manager"].post(reverse("referrals:capacity"), {"campus": "abc"})
    assert response.status_code == 400
    assert "campus" in response.content.decode().lower()


@FUZZ
@given(confirm=GARBAGE)
def test_the_erasure_confirmation_survives_malformed_input(world, confirm):
    patient = world["episode"].patient
    before = _database()
    response = world["manager"].post(reverse("records:erase", args=[patient.pk]), {"x": confirm})
    assert response.status_code == 200
    assert _database() == before


# --- GET parameters ----------------------------------------------------------------------

GET_PAGES = [
    ("reception", "intake:patient_search", None, ["q", "page", "after", "before"]),
    ("reception", "intake:reception_home", None, ["alerts_page", "pending_page", "today_page"]),
    ("reception", "followups:call_list", None, ["page"]),
    ("reception", "followups:overview", None, ["page"]),
    ("physio", "treatment:caseload", None, ["page", "queue_page", "alerts_page"]),
    ("physio", "referrals:proposals", None, ["state", "page"]),
    ("coordinator", "referrals:coordinator_home", None, ["state", "page"]),
    ("coordinator", "referrals:row", "referral", ["row"]),
    ("coordinator", "referrals:detail", "referral", ["week"]),
    ("physio", "treatment:discharge_summary", "discharged", ["lang"]),
    ("anonymous", "kiosk:home", None, ["pin"]),
    ("manager", "dashboards:manager_home", None, ["start", "end", "campus"]),
    ("manager", "dashboards:manager_figures_csv", None, ["start", "end", "campus", "excel"]),
    ("manager", "records:audit_home", None, ["q"]),
    ("manager", "records:patient_audit", "patient", ["reads", "changes"]),
    ("manager", "security:twofactor_setup", None, ["next"]),
]
MONTHS = st.one_of(
    GARBAGE,
    st.sampled_from(["9999-12", "0001-01", "10000-01", "2026-13", "2026-00", "1999-12"]),
    st.integers(min_value=0, max_value=10**20).map(lambda year: f"{year}-01"),
)


@pytest.mark.parametrize(("persona", "name", "obj", "params"), GET_PAGES, ids=lambda v: str(v))
@FUZZ
@given(values=st.lists(st.one_of(GARBAGE, MONTHS), min_size=4, max_size=4))
def test_no_query_parameter_makes_a_server_error(world, persona, name, obj, params, values):
    args = []
    if obj == "referral":
        args = [world["referral"].pk]
    elif obj == "patient":
        args = [world["episode"].patient_id]
    elif obj == "discharged":
        args = [_discharged_episode(world)]
    query = dict(zip(params, values, strict=False))
    client = Client() if persona == "anonymous" else world[persona]
    response = client.get(reverse(name, args=args), query)
    assert response.status_code in (200, 302, 400)


def _discharged_episode(world: dict[str, Any]) -> int:
    """A closed episode of the world's physiotherapist (made once per test)."""
    if "discharged" not in world:
        physio = world["episode"].physio
        episode = make_episode_in_treatment(physio)
        discharge(episode, by=physio, outcome="recovered", note="")
        world["discharged"] = episode.pk
    return world["discharged"]


@pytest.mark.parametrize(
    "query",
    [{"start": "9999-12"}, {"end": "0001-01"}, {"start": "2026-01", "end": "9" * 20 + "-01"}],
)
def test_the_managers_months_out_of_range_are_refused_beside_the_field(world, query):
    for name in ("dashboards:manager_home", "dashboards:manager_figures_csv"):
        assert world["manager"].get(reverse(name), query).status_code == 200
    page = world["manager"].get(reverse("dashboards:manager_home"), query)
    assert page.context["form"].errors


def test_every_get_parameter_is_fuzzed():
    """The parameters views read (``request.GET.get("x")``, forms bound to the query
    string, pagers) all appear in ``GET_PAGES``."""
    read = set()
    for views in BASE_DIR.glob("*/views.py"):
        text = views.read_text()
        read |= set(re.findall(r"request\.GET\.get\(\s*\"(\w+)\"", text))
        read |= set(re.findall(r"_page\(request, [^,]+, \"(\w+)\"\)", text))
        read |= set(re.findall(r"_number\(request, \"(\w+)\"", text))
    form_fields = {"q", "state", "start", "end", "campus"}  # SearchForm, StateFilterForm...
    fuzzed = {param for *_, params in GET_PAGES for param in params}
    assert read | form_fields <= fuzzed, sorted(read | form_fields - fuzzed)


def test_a_long_user_name_at_login_is_refused_beside_the_field(client):
    StaffFactory(username="an.physio2", role="physiotherapist")
    response = client.post(reverse("login"), {"username": "x" * 100_000, "password": "y"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_long_user_name_at_the_admin_login_is_refused_too(client):
    response = client.post(reverse("admin:login"), {"username": "x" * 300, "password": "y"})
    assert response.status_code == 200
    assert response.context["form"].errors
