"""Every URL, every role: the expected answer comes from an explicit table.

``test_every_url_has_an_entry`` fails when a URL name has no row in ``MATRIX`` (or the
admin rule): a new page must say here who may open it. Each row builds its URL with
objects made by the factories and states, per persona, what a GET answers:

- ``LOGIN``: a redirect to the login page (anonymous users),
- a status code (200, 403, 404, 405 for POST-only views...),
- ``Redirect("/prefix")``: a redirect elsewhere.

Rows name the roles that are allowed (``allow``); the others get 403 and anonymous
users the login page, unless ``answers`` says otherwise. GET only: no page is changed.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from intake.services import create_intake_link
from tests.factories import (
    PatientFactory,
    StaffFactory,
    make_episode_in_treatment,
    make_intake,
)

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no_role"
RECEPTION, PHYSIO, COORDINATOR = "reception", "physiotherapist", "coordinator"
MANAGER, ADMIN = "manager", "admin"
PERSONAS = (ANONYMOUS, NO_ROLE, RECEPTION, PHYSIO, COORDINATOR, MANAGER, ADMIN)
STAFF = PERSONAS[1:]
LOGIN = "login"


@dataclass(frozen=True)
class Redirect:
    prefix: str


@dataclass(frozen=True)
class Page:
    allow: tuple[str, ...] = ()
    ok: Any = 200
    kwargs: Callable[["Samples"], dict[str, Any]] | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def expected(self, persona: str) -> Any:
        if persona in self.answers:
            return self.answers[persona]
        if persona == ANONYMOUS:
            return LOGIN
        return self.ok if persona in self.allow else 403


class Samples:
    """Objects for the URLs' arguments, made on first use."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self._cache: dict[str, Any] = {}

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def patient(self) -> Any:
        return self._once("patient", PatientFactory)

    @property
    def intake(self) -> Any:
        return self._once("intake", lambda: make_intake(self.patient))

    @property
    def alert(self) -> Any:
        return self._once("alert", lambda: make_intake(fever=True).episode.alerts.get())

    @property
    def treated_episode(self) -> Any:
        return self._once("treated", lambda: make_episode_in_treatment(self.users[PHYSIO]))

    @property
    def discharged_episode(self) -> Any:
        return self._once("discharged", lambda: _closed_episode(self))

    @property
    def token(self) -> str:
        return self._once("token", lambda: create_intake_link(self.patient, by=None)[1])

    @property
    def answered_follow_up(self) -> Any:
        """Of an episode the physiotherapist treats."""

        def make() -> Any:
            from demo.followups import IMPROVING
            from followups.models import FollowUp
            from pathway.services import answer_follow_up

            follow_up = self.treated_episode.follow_ups.get(number=1)
            FollowUp.objects.filter(pk=follow_up.pk).update(state="invited")
            return answer_follow_up(follow_up, IMPROVING, channel="link")

        return self._once("answered", make)

    @property
    def lost_follow_up(self) -> Any:
        def make() -> Any:
            from followups.models import FollowUp

            # On the physiotherapist persona's caseload: a lost follow-up is theirs to see.
            episode = make_episode_in_treatment(self.users[PHYSIO])
            follow_up = episode.follow_ups.get(number=1)
            FollowUp.objects.filter(pk=follow_up.pk).update(state="lost")
            return follow_up

        return self._once("lost", make)

    @property
    def referral(self) -> Any:
        """For an episode the physiotherapist treats, sent to Bornem (postcode 2880), so
        the Bornem coordinator sees it."""

        def make() -> Any:
            from referrals.services import propose_referral, send_referral

            physio = self.users[PHYSIO]
            episode = make_episode_in_treatment(physio, patient=PatientFactory(postcode="2880"))
            referral = propose_referral(episode, source="physio", reason="Still in pain", by=physio)
            return send_referral(referral, by=physio)

        return self._once("referral", make)


def _patient(s: Samples) -> dict[str, Any]:
    return {"patient_id": s.patient.pk}


def _intake(s: Samples) -> dict[str, Any]:
    return {"intake_id": s.intake.pk}


def _treated(s: Samples) -> dict[str, Any]:
    return {"pk": s.treated_episode.pk}


def _referral(s: Samples) -> dict[str, Any]:
    return {"pk": s.referral.pk}


def _any_pk(s: Samples) -> dict[str, Any]:
    """For POST-only views: a GET is refused before any object is looked up."""
    return {"pk": 1}


PUBLIC = dict.fromkeys(PERSONAS, 200)
POST_ONLY = 405

MATRIX: dict[str, Page] = {
    # --- foundation ---------------------------------------------------------------------
    "home": Page(
        answers={
            ANONYMOUS: LOGIN,
            NO_ROLE: Redirect("/no-role/"),
            RECEPTION: Redirect("/reception/"),
            PHYSIO: Redirect("/physio/"),
            COORDINATOR: Redirect("/coordinator/"),
            MANAGER: Redirect("/manager/"),
            ADMIN: 200,  # a start page: the admin's "View site" must not loop back
        }
    ),
    "no_role": Page(answers=dict.fromkeys(STAFF, 403)),
    "login": Page(answers={ANONYMOUS: 200, **dict.fromkeys(STAFF, Redirect("/"))}),
    "logout": Page(answers=dict.fromkeys(PERSONAS, POST_ONLY)),
    "set_language": Page(answers=dict.fromkeys(PERSONAS, Redirect("/"))),
    # --- intake (reception) -------------------------------------------------------------
    "intake:reception_home": Page(allow=(RECEPTION,)),
    "intake:patient_search": Page(allow=(RECEPTION,)),
    "intake:patient_new": Page(allow=(RECEPTION,)),
    "intake:patient_detail": Page(allow=(RECEPTION,), kwargs=_patient),
    "intake:patient_edit": Page(allow=(RECEPTION,), kwargs=_patient),
    "intake:intake_new": Page(allow=(RECEPTION,), kwargs=_patient),
    "intake:intake_link": Page(allow=(RECEPTION,), ok=POST_ONLY, kwargs=_patient),
    "intake:intake_result": Page(allow=(RECEPTION,), kwargs=_intake),
    "intake:intake_review": Page(allow=(RECEPTION,), ok=POST_ONLY, kwargs=_intake),
    "intake:alert_acknowledge": Page(
        allow=(RECEPTION, PHYSIO), ok=POST_ONLY, kwargs=lambda s: {"alert_id": s.alert.pk}
    ),
    "intake:alert_continue": Page(
        allow=(RECEPTION, PHYSIO), ok=POST_ONLY, kwargs=lambda s: {"alert_id": s.alert.pk}
    ),
    "intake:advice_sheet": Page(
        allow=(RECEPTION, PHYSIO), kwargs=lambda s: {"disposition": "GP_SOON", "language": "fr"}
    ),
    "intake:intake_scores": Page(
        allow=(RECEPTION,),
        ok=Redirect("/reception/intakes/"),
        kwargs=_intake,
        note="an intake whose scores are complete sends reception back to its result",
    ),
    "intake:alert_action": Page(
        allow=(RECEPTION, PHYSIO), ok=POST_ONLY, kwargs=lambda s: {"alert_id": s.alert.pk}
    ),
    "intake_public:self_intake": Page(answers=PUBLIC, kwargs=lambda s: {"token": s.token}),
    # --- the kiosk tablet (issue 16): no staff rights, a PIN opens one questionnaire ------
    "kiosk:home": Page(answers=PUBLIC),
    "kiosk:intake": Page(
        answers=dict.fromkeys(PERSONAS, Redirect("/kiosk/")),
        note="without a kiosk session (a PIN typed on the tablet) it starts over",
    ),
    # --- treatment (physiotherapists) ---------------------------------------------------
    "treatment:caseload": Page(allow=(PHYSIO,)),
    "treatment:episode": Page(allow=(PHYSIO,), kwargs=_treated),
    "treatment:take": Page(
        answers=dict.fromkeys(PERSONAS, POST_ONLY),
        kwargs=_any_pk,
        note="require_POST sits outside role_required: every GET is 405, even anonymous",
    ),
    "treatment:plan": Page(allow=(PHYSIO,), kwargs=_treated),
    "treatment:session_new": Page(allow=(PHYSIO,), kwargs=_treated),
    "treatment:handout": Page(allow=(PHYSIO,), kwargs=_treated),
    "treatment:discharge": Page(allow=(PHYSIO,), kwargs=_treated),
    "treatment:discharge_summary": Page(
        allow=(PHYSIO,), kwargs=lambda s: {"pk": s.discharged_episode.pk}
    ),
    "treatment:discharge_summary_pdf": Page(
        allow=(PHYSIO,), kwargs=lambda s: {"pk": s.discharged_episode.pk}
    ),
    "treatment:discharge_summary_send": Page(
        answers=dict.fromkeys(PERSONAS, POST_ONLY),
        kwargs=lambda s: {"pk": s.discharged_episode.pk},
        note="require_POST sits outside role_required: every GET is 405, even anonymous",
    ),
    # --- referrals (physiotherapists, coordinators, managers) ---------------------------
    "referrals:coordinator_home": Page(allow=(COORDINATOR,)),
    "referrals:proposals": Page(allow=(PHYSIO,)),
    "referrals:capacity": Page(allow=(MANAGER, ADMIN)),
    "referrals:for_episode": Page(
        allow=(PHYSIO,), kwargs=lambda s: {"episode_id": s.treated_episode.pk}
    ),
    "referrals:detail": Page(allow=(PHYSIO, COORDINATOR), kwargs=_referral),
    "referrals:letter": Page(allow=(PHYSIO, COORDINATOR), kwargs=_referral),
    "referrals:letter_version": Page(
        allow=(PHYSIO, COORDINATOR), kwargs=lambda s: {"pk": s.referral.pk, "version": 1}
    ),
    "referrals:row": Page(allow=(PHYSIO, COORDINATOR), kwargs=_referral),
    "referrals:gp": Page(
        answers=dict.fromkeys(PERSONAS, POST_ONLY),
        kwargs=_referral,
        note="require_POST sits outside role_required: every GET is 405, even anonymous",
    ),
    "referrals:action": Page(
        allow=(PHYSIO, COORDINATOR),
        ok=POST_ONLY,
        kwargs=lambda s: {"pk": 1, "action": "accept"},
    ),
    "referrals:action_form": Page(
        allow=(COORDINATOR,),
        ok=Redirect("/coordinator/referrals/"),
        kwargs=lambda s: {"pk": s.referral.pk, "action": "accept"},
        answers={PHYSIO: 403},
        note="accepting is the coordinator's action; without htmx the form opens in the page",
    ),
    # --- manager figures ----------------------------------------------------------------
    "dashboards:manager_home": Page(allow=(MANAGER,)),
    "dashboards:manager_figures_csv": Page(allow=(MANAGER,)),
    # --- follow-ups (reception; patients through links) ---------------------------------
    "followups:questionnaire": Page(
        answers=dict.fromkeys(PERSONAS, 404),
        kwargs=lambda s: {"token": "no-such-token"},
        note="a valid link is checked in test_a_patient_link_opens_only_its_own_questionnaire",
    ),
    "followups:overview": Page(allow=(RECEPTION, MANAGER)),
    "followups:call_list": Page(allow=(RECEPTION,)),
    "followups:record_call": Page(allow=(RECEPTION,), ok=POST_ONLY, kwargs=_any_pk),
    "followups:phone_answers": Page(
        allow=(RECEPTION,),
        ok=Redirect("/followups/calls/"),
        kwargs=lambda s: {"pk": s.intake.episode.follow_ups.get(number=1).pk},
        note="a follow-up not on the call list sends reception back to the list",
    ),
    "followups:result": Page(
        allow=(RECEPTION, PHYSIO), kwargs=lambda s: {"pk": s.answered_follow_up.pk}
    ),
    "followups:lost_letter": Page(
        allow=(RECEPTION, PHYSIO), kwargs=lambda s: {"episode_id": s.lost_follow_up.episode_id}
    ),
    "followups:dismiss_email": Page(allow=(RECEPTION,), ok=POST_ONLY, kwargs=_any_pk),
    # --- security (issue 8) -------------------------------------------------------------
    "security:twofactor_setup": Page(allow=STAFF[1:]),
    "security:twofactor_verify": Page(
        allow=STAFF[1:], ok=Redirect("/security/two-step/"), note="no authenticator yet"
    ),
    "security:session_keepalive": Page(allow=STAFF[1:], ok=POST_ONLY),
    "records:audit_home": Page(allow=(MANAGER,)),
    "records:patient_audit": Page(allow=(MANAGER,), kwargs=_patient),
    "records:export_json": Page(allow=(MANAGER,), kwargs=_patient),
    "records:export_fhir": Page(allow=(MANAGER,), kwargs=_patient),
    "records:erase": Page(allow=(MANAGER,), kwargs=_patient),
}

# The Django admin guards all its pages itself (admin_view: active staff only). Its index
# and model lists are checked; its other pages are the same view wrapper.
ADMIN_NAMESPACE = "admin"


def _admin_page() -> Page:
    to_login = Redirect("/admin/login/")
    return Page(answers={**dict.fromkeys(PERSONAS[:-1], to_login), ADMIN: 200})


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str | None, str, Any]]:
    """(full name, namespace, view) of every URL pattern, includes followed."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, namespace, pattern.callback


def _url_names() -> list[tuple[str | None, str]]:
    return [(name, namespace) for name, namespace, _ in _walk(get_resolver().url_patterns)]


def _views() -> list[tuple[str | None, Any]]:
    return [(name, view) for name, _, view in _walk(get_resolver().url_patterns)]


def _checked_admin_names() -> list[str]:
    return sorted(
        name
        for name, namespace in _url_names()
        if namespace == ADMIN_NAMESPACE
        and name
        and (name == "admin:index" or name.endswith("_changelist"))
    )


def test_every_url_has_an_entry():
    missing = sorted(
        str(name)
        for name, namespace in _url_names()
        if namespace != ADMIN_NAMESPACE and name not in MATRIX
    )
    assert not missing, f"add these URL names to MATRIX in {__file__}: {missing}"


def test_the_table_has_no_stale_entries():
    names = {name for name, _ in _url_names()}
    assert not set(MATRIX) - names


def test_the_table_agrees_with_the_roles_the_views_declare():
    """``role_required`` records its roles on the view: every declared role is allowed
    in the table or has its own answer there, and the table allows no other role."""
    for name, view in _views():
        declared = {str(role) for role in getattr(view, "allowed_roles", ())}
        page = MATRIX.get(name or "")
        if not declared or page is None:
            continue
        assert set(page.allow) <= declared, name
        assert declared <= set(page.allow) | set(page.answers), name


@pytest.fixture
def users(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    user_model = get_user_model()
    return {
        NO_ROLE: user_model.objects.create_user("matrix.nobody", password="x-" * 8),
        RECEPTION: StaffFactory(username="matrix.reception", role="reception"),
        PHYSIO: StaffFactory(username="matrix.physio", role="physiotherapist"),
        COORDINATOR: StaffFactory(
            username="matrix.coordinator", role="coordinator", campus_code="bornem"
        ),
        MANAGER: StaffFactory(username="matrix.manager", role="manager"),
        ADMIN: StaffFactory(
            username="matrix.admin", role="admin", is_staff=True, is_superuser=True
        ),
    }


def _answer(response: Any) -> Any:
    if response.status_code in (301, 302):
        if response.url.startswith("/accounts/login/"):
            return LOGIN
        return response
    return response.status_code


def _matches(expected: Any, response: Any) -> bool:
    answer = _answer(response)
    if isinstance(expected, Redirect):
        return answer is response and response.url.startswith(expected.prefix)
    if expected == LOGIN and isinstance(answer, int):
        return False
    return answer == expected


def _check(page: Page, url: str, users: dict[str, Any]) -> list[str]:
    wrong = []
    for persona in PERSONAS:
        client = Client()
        if persona != ANONYMOUS:
            client.force_login(users[persona])
        response = client.get(url)
        expected = page.expected(persona)
        if not _matches(expected, response):
            got = getattr(response, "url", None) or response.status_code
            wrong.append(f"{persona}: expected {expected}, got {got}")
    return wrong


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_the_expected_answer(name, users):
    page = MATRIX[name]
    samples = Samples(users)
    url = reverse(name, kwargs=page.kwargs(samples) if page.kwargs else None)
    wrong = _check(page, url, users)
    assert not wrong, f"{name} ({url}): " + "; ".join(wrong)


@pytest.mark.parametrize("name", _checked_admin_names())
def test_admin_pages_are_for_admins_only(name, users):
    url = reverse(name)
    wrong = _check(_admin_page(), url, users)
    assert not wrong, f"{name} ({url}): " + "; ".join(wrong)


# --- object-level checks -----------------------------------------------------------------


def test_a_patient_link_opens_only_its_own_questionnaire(client):
    from clinics.tokens import hash_token

    _, token = create_intake_link(PatientFactory(first_name="Aline"), by=None)
    _, other = create_intake_link(PatientFactory(first_name="Bart"), by=None)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("intake_public:self_intake", args=[token]))
    assert page.status_code == 200
    for guess in (token[:-2], token + "x", other[:20] + token[20:], hash_token(token)):
        assert client.get(reverse("intake_public:self_intake", args=[guess])).status_code == 404


def test_a_follow_up_link_opens_only_its_own_questionnaire(client):
    from datetime import timedelta

    from django.utils import timezone

    from clinics.tokens import hash_token
    from followups.models import QuestionnaireLink

    follow_up = make_intake().episode.follow_ups.get(number=1)
    QuestionnaireLink.objects.create(
        follow_up=follow_up,
        token_hash=hash_token("the-right-token-for-this-follow-up"),
        expires_at=timezone.now() + timedelta(days=14),
    )
    for guess in ("the-right-token-for-this-follow-uq", str(follow_up.pk), "the-right-token"):
        assert client.get(reverse("followups:questionnaire", args=[guess])).status_code == 404


def test_a_coordinator_cannot_open_the_other_campuss_referrals(users, coordinator_rumst):
    samples = Samples(users)
    referral = samples.referral  # Bornem
    client = Client()
    client.force_login(coordinator_rumst)
    for name in ("referrals:detail", "referrals:letter", "referrals:row"):
        assert client.get(reverse(name, args=[referral.pk])).status_code == 404, name


def test_a_physiotherapist_cannot_open_a_colleagues_episode(users):
    episode = Samples(users).treated_episode
    colleague = StaffFactory(username="matrix.colleague", role="physiotherapist")
    client = Client()
    client.force_login(colleague)
    for name in ("treatment:episode", "treatment:plan", "treatment:handout"):
        assert client.get(reverse(name, args=[episode.pk])).status_code == 404, name


# --- object-level rules (issue 15) --------------------------------------------------------
# Every URL with an object id has a row in ``OBJECT_RULES``: either the object belongs to
# someone (an episode to its physiotherapist, a referral to its episode's physiotherapist
# and its campus) and a user holding the same role who is NOT the owner tries it, with
# GET and POST, and gets 404 (or the stated answer), sees no patient name, and changes
# nothing in the database; or the page serves the whole clinic (``ClinicWide``) and says
# why. ``test_every_object_url_has_a_rule`` fails when a new object URL has no row.

COLLEAGUE, RUMST = "colleague", "coordinator_rumst"


@dataclass(frozen=True)
class NotTheirs:
    outsider: str
    kwargs: Callable[["Samples"], dict[str, Any]]
    get: int = 404
    post: int = 404
    note: str = ""


@dataclass(frozen=True)
class ClinicWide:
    reason: str


RECEPTION_DESK = ClinicWide("reception serves the whole clinic: registration, intake, calls")
PRIVACY_OFFICE = ClinicWide("the manager handles every patient's audit, export and erasure")


def _emergency_episode(s: Samples) -> dict[str, Any]:
    """An emergency patient no physiotherapist ever saw."""
    return {"pk": make_intake(fever=True).episode.pk}


def _closed_episode(s: Samples) -> Any:
    from pathway.services import discharge

    episode = make_episode_in_treatment(s.users[PHYSIO])
    discharge(episode, by=s.users[PHYSIO], outcome="recovered")
    return episode


def _owned_alert(s: Samples) -> dict[str, Any]:
    from intake.services import raise_alert

    alert = raise_alert(s.treated_episode, kind="follow_up", disposition="GP_SOON", reasons=[])
    return {"alert_id": alert.pk}


def _referral_action(action: str) -> Callable[[Samples], dict[str, Any]]:
    return lambda s: {"pk": s.referral.pk, "action": action}


def _episode_of(make: Callable[[Samples], Any]) -> Callable[[Samples], dict[str, Any]]:
    return lambda s: {"episode_id": make(s).pk}


OBJECT_RULES: dict[str, ClinicWide | tuple[NotTheirs, ...]] = {
    "intake:patient_detail": RECEPTION_DESK,
    "intake:patient_edit": RECEPTION_DESK,
    "intake:intake_new": RECEPTION_DESK,
    "intake:intake_link": RECEPTION_DESK,
    "intake:intake_result": RECEPTION_DESK,
    "intake:intake_review": RECEPTION_DESK,
    "intake:intake_scores": RECEPTION_DESK,
    "intake:alert_action": (NotTheirs(COLLEAGUE, _owned_alert, get=405),),
    "intake:alert_acknowledge": (
        NotTheirs(COLLEAGUE, _owned_alert, get=405),
        NotTheirs(COLLEAGUE, lambda s: {"alert_id": s.alert.pk}, get=405),
    ),
    "intake:alert_continue": (
        NotTheirs(COLLEAGUE, _owned_alert, get=405),
        NotTheirs(COLLEAGUE, lambda s: {"alert_id": s.alert.pk}, get=405),
    ),
    "treatment:episode": (
        NotTheirs(COLLEAGUE, _treated, post=405),
        NotTheirs(COLLEAGUE, _emergency_episode, post=405),
    ),
    "treatment:take": (
        NotTheirs(COLLEAGUE, _treated, get=405, post=302, note="told it was taken, no name"),
        NotTheirs(COLLEAGUE, _emergency_episode, get=405),
    ),
    "treatment:plan": (NotTheirs(COLLEAGUE, _treated),),
    "treatment:session_new": (NotTheirs(COLLEAGUE, _treated),),
    "treatment:handout": (NotTheirs(COLLEAGUE, _treated, post=405),),
    "treatment:discharge": (NotTheirs(COLLEAGUE, _treated),),
    "treatment:discharge_summary": (NotTheirs(COLLEAGUE, lambda s: {"pk": _closed_episode(s).pk}),),
    "treatment:discharge_summary_pdf": (
        NotTheirs(COLLEAGUE, lambda s: {"pk": _closed_episode(s).pk}),
    ),
    "treatment:discharge_summary_send": (
        NotTheirs(COLLEAGUE, lambda s: {"pk": _closed_episode(s).pk}, get=405),
    ),
    "referrals:for_episode": (
        NotTheirs(COLLEAGUE, _episode_of(lambda s: s.treated_episode)),
        NotTheirs(COLLEAGUE, lambda s: {"episode_id": _emergency_episode(s)["pk"]}),
        NotTheirs(PHYSIO, _episode_of(_closed_episode), note="their own, but closed: no proposal"),
    ),
    "referrals:detail": (
        NotTheirs(COLLEAGUE, _referral, post=405),
        NotTheirs(RUMST, _referral, post=405),
    ),
    "referrals:letter": (
        NotTheirs(COLLEAGUE, _referral, post=405),
        NotTheirs(RUMST, _referral, post=405),
    ),
    "referrals:letter_version": (
        NotTheirs(COLLEAGUE, lambda s: {"pk": s.referral.pk, "version": 1}, post=405),
        NotTheirs(RUMST, lambda s: {"pk": s.referral.pk, "version": 1}, post=405),
    ),
    "referrals:row": (
        NotTheirs(COLLEAGUE, _referral, post=405),
        NotTheirs(RUMST, _referral, post=405),
    ),
    "referrals:action": (
        NotTheirs(COLLEAGUE, _referral_action("cancel"), get=405),
        NotTheirs(COLLEAGUE, _referral_action("letter"), get=405),
        NotTheirs(
            RUMST,
            _referral_action("accept"),
            get=405,
            post=403,
            note="a coordinator is told it is another campus's (no patient named)",
        ),
    ),
    "referrals:gp": (NotTheirs(COLLEAGUE, _referral, get=405),),
    "referrals:action_form": (
        NotTheirs(COLLEAGUE, _referral_action("cancel"), post=405),
        NotTheirs(RUMST, _referral_action("accept"), post=405),
    ),
    "followups:result": (
        NotTheirs(COLLEAGUE, lambda s: {"pk": s.answered_follow_up.pk}, post=405),
    ),
    "followups:lost_letter": (
        NotTheirs(COLLEAGUE, lambda s: {"episode_id": s.lost_follow_up.episode_id}),
    ),
    "followups:record_call": RECEPTION_DESK,
    "followups:phone_answers": RECEPTION_DESK,
    "followups:dismiss_email": RECEPTION_DESK,
    "records:patient_audit": PRIVACY_OFFICE,
    "records:export_json": PRIVACY_OFFICE,
    "records:export_fhir": PRIVACY_OFFICE,
    "records:erase": PRIVACY_OFFICE,
}


def _object_url_names() -> list[str]:
    """URL names (outside the admin) whose pattern takes an integer id."""
    from django.urls.converters import IntConverter

    names = []

    def walk(patterns: list[Any], namespace: str, converters: dict[str, Any]) -> None:
        for pattern in patterns:
            found = {**converters, **getattr(pattern.pattern, "converters", {})}
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, inner, found)
            elif pattern.name and namespace != ADMIN_NAMESPACE:
                if any(isinstance(c, IntConverter) for c in found.values()):
                    names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", {})
    return sorted(names)


def test_every_object_url_has_a_rule():
    missing = sorted(set(_object_url_names()) - set(OBJECT_RULES))
    assert not missing, f"add these object URLs to OBJECT_RULES in {__file__}: {missing}"
    assert not set(OBJECT_RULES) - set(_object_url_names())


def _database() -> dict[str, list[Any]]:
    """Every row of every table (sessions aside): the test database is small."""
    from django.apps import apps

    rows = {}
    for model in apps.get_models():
        if model._meta.label_lower in ("sessions.session",):
            continue
        rows[model._meta.label_lower] = sorted(
            model._base_manager.values_list(), key=lambda row: str(row[0])
        )
    return rows


@pytest.fixture
def outsiders(users) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        **users,
        COLLEAGUE: StaffFactory(username="matrix.colleague", role="physiotherapist"),
        RUMST: StaffFactory(username="matrix.rumst", role="coordinator", campus_code="rumst"),
    }


def _cases() -> list[Any]:
    return [
        pytest.param(name, index, id=f"{name}[{index}]")
        for name, rule in sorted(OBJECT_RULES.items())
        if isinstance(rule, tuple)
        for index in range(len(rule))
    ]


@pytest.mark.parametrize(("name", "index"), _cases())
def test_a_user_of_the_same_role_who_is_not_the_owner_gets_nothing(name, index, outsiders):
    from intake.models import Patient

    case = OBJECT_RULES[name][index]  # type: ignore[index]
    url = reverse(name, kwargs=case.kwargs(Samples(outsiders)))
    # Full names, and last names long enough not to occur in any page by chance.
    names = [n for p in Patient.objects.all() for n in (p.full_name, p.last_name) if len(n) > 5]
    client = Client()
    client.force_login(outsiders[case.outsider])
    for method, expected in (("get", case.get), ("post", case.post)):
        before = _database()
        response = getattr(client, method)(url, {"reason": "x", "note": "x"})
        assert response.status_code == expected, f"{method.upper()} {url}"
        assert _database() == before, f"{method.upper()} {url} wrote to the database"
        body = response.content.decode(errors="replace")
        assert not [n for n in names if n in body], f"{method.upper()} {url} names a patient"


def test_the_owner_still_gets_the_pages_the_outsiders_are_refused(outsiders):
    """The other side of the rule: the object is there, the owner opens it."""
    samples = Samples(outsiders)
    owner = Client()
    owner.force_login(outsiders[PHYSIO])
    for name, kwargs in (
        ("treatment:episode", _treated(samples)),
        ("referrals:for_episode", {"episode_id": samples.treated_episode.pk}),
        ("referrals:detail", _referral(samples)),
        ("followups:result", {"pk": samples.answered_follow_up.pk}),
    ):
        response = owner.get(reverse(name, kwargs=kwargs))
        assert response.status_code in (200, 302), name
    bornem = Client()
    bornem.force_login(outsiders[COORDINATOR])
    assert bornem.get(reverse("referrals:detail", kwargs=_referral(samples))).status_code == 200
