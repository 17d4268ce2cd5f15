"""Load a large, realistic data set with PostgreSQL COPY (psycopg 3 ``cursor.copy``).

Every row satisfies the models' constraints: a unique, check-digit-valid INSZ or a
reason for its absence, names folded with ``intake.models.fold``, answers that the
triage and outcome rules accept (the stored results are what those rules give), one
active referral per episode, one booking per slot, and so on.

Intakes are spread over the two years before the data set's moment ``as_of`` (10:00
Brussels time on the day of loading); each episode has its six-week follow-up, whose
state is what the sweep would have made of it by ``as_of``. The whole load is one
transaction: TRUNCATE, then ``COPY ... FREEZE`` per table, with triggers (the deferred
foreign-key checks) off for this session only; the generator keeps the references
consistent itself.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction

from bench.dataset import TABLES, reset
from clinics.models import Campus, CatchmentPostcode, Role, StaffProfile
from followups import outcome as followup_rules
from followups import schedule
from intake import scores, triage
from intake.models import age_on
from intake.search import fold

DAYS = 730
SEED = 20260101
META_TABLE = "bench_meta"
BENCH_PASSWORD_HASH = "!bench-no-password"  # noqa: S105 - unusable; the bench uses force_login

LAST_NAMES = (
    "Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De Smet Dubois "
    "Lambert Dupont Martin Hermans Aerts Pauwels Michiels Desmet Vermeulen Van Damme "
    "Van den Broeck Leclercq Declercq Verstraete Cools Smets D'Hondt Lemmens De Backer "
    "Vandenberghe Stevens Simons Lenaerts Baert Geerts Vos Claeys Van de Velde Segers "
    "Mathieu François Renard Dumont Laurent Lejeune Leroy Denis Gérard Noël Mahieu "
    "Coppens Verhoeven Bogaerts Van Acker Wuyts Thys Hendrickx Verlinden De Clercq Moens "
    "Sterckx Engelen Vandamme Verbeke Nuyts Dewulf Huysmans Cornelis Van Dyck Bosmans "
    "Vermeiren Dierckx De Vos Hoste Van Hecke Schepens Pieters Heylen Somers Verheyen "
    "Bertrand Lefèvre Gilles Collard Fontaine Rousseau Hubert Charlier Lemaire Dethier "
    "Çelik Yılmaz El Amrani Benali Nowak Kowalski Rossi Da Silva Öztürk Müller Schmitt"
).split(" ")
# Two-word names above were split; rebuild them from this list of known pairs.
NAME_PAIRS = (
    "De Smet",
    "Van Damme",
    "Van den Broeck",
    "D'Hondt",
    "De Backer",
    "Van de Velde",
    "Van Acker",
    "De Clercq",
    "Van Dyck",
    "De Vos",
    "Van Hecke",
    "El Amrani",
    "Da Silva",
)
FIRST_NAMES = (
    "An Anna Annelies Bart Bram Charlotte Chloé Dirk Elke Els Emma Eva Filip Frank Gert "
    "Hanne Hilde Ines Jan Jana Jens Joke Jonas Karin Katrien Kevin Kris Lander Lara Laura "
    "Lien Lies Lotte Louis Lucas Luc Marc Maria Marie Mathias Michiel Nathalie Nina Noah "
    "Pieter Robbe Ruben Sam Sander Sara Sofie Steven Stijn Thomas Tim Tom Tine Wim Wout "
    "Yasmine Zoë Élodie Hélène Jérôme Amélie André José Mohamed Fatima Ayşe Piotr Giulia "
    "Céline Benoît Frédéric Geneviève Noémie Raphaël Thibault Manon Camille Julien"
).split(" ")
OTHER_POSTCODES = (
    "2000",
    "2018",
    "2060",
    "2100",
    "2800",
    "2500",
    "9000",
    "9100",
    "1000",
    "1800",
    "3000",
    "2300",
    "8000",
    "4000",
    "5000",
    "6000",
)
GP_NAMES = (
    "Dr. Vermeulen",
    "Dr. Janssens",
    "Dr. Dubois",
    "Dr. Peeters",
    "Dr. Maes",
    "Dr. Claes",
    "Dr. Lambert",
    "Dr. Willems",
)
GP_PRACTICES = (
    "Huisartsenpraktijk De Schelde",
    "Groepspraktijk Rupel",
    "Medisch Centrum Klein-Brabant",
    "Huisartsen Boom",
    "Wijkgezondheidscentrum Mechelen",
)
MEDICATION = ("", "", "paracetamol", "ibuprofen", "paracetamol, ibuprofen", "diclofenac gel")


def _split_names(words: Sequence[str]) -> list[str]:
    joined = " ".join(words)
    names: list[str] = []
    for pair in NAME_PAIRS:
        joined = joined.replace(pair, pair.replace(" ", "_"))
    for word in joined.split(" "):
        names.append(word.replace("_", " "))
    return names


@dataclass(frozen=True)
class Scale:
    patients: int
    referrals: int
    physios: int

    @classmethod
    def of(cls, factor: float) -> Scale:
        return cls(
            patients=int(1_000_000 * factor),
            referrals=int(50_000 * factor),
            physios=max(5, int(1_500 * factor)),
        )


# --- fast text for COPY -----------------------------------------------------------------

_TOD = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86400)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock:
    """UTC timestamps as COPY text, fast: day strings cached, seconds from a table."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def ts(self, seconds: float) -> str:
        whole = int(seconds)
        day, second = divmod(whole, 86400)
        text = self._days.get(day)
        if text is None:
            text = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
            self._days[day] = text
        return text + _TOD[second] + "+00"


def epoch(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


def copy_rows(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[str]) -> int:
    """COPY ``rows`` (tab-separated lines, ``\\N`` for NULL) into ``table``; returns the count."""
    count = 0
    chunk: list[str] = []
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)"  # noqa: S608 - our names
    with cursor.copy(sql) as copy:
        for line in rows:
            chunk.append(line)
            if len(chunk) >= 5000:
                copy.write("\n".join(chunk) + "\n")
                count += len(chunk)
                chunk = []
        if chunk:
            copy.write("\n".join(chunk) + "\n")
            count += len(chunk)
    return count


def esc(text: str) -> str:
    """COPY text escaping for values that may hold a backslash, tab or newline."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


N = "\\N"


def b(value: bool) -> str:
    return "t" if value else "f"


# --- pools of valid answers -------------------------------------------------------------

START_BACK_VARIANTS = (
    [0, 0, 1, 0, 0, 0, 0, 0, "slightly"],
    [1, 0, 1, 0, 0, 1, 0, 0, "moderately"],
    [1, 1, 1, 1, 0, 1, 1, 0, "very_much"],
    [0, 1, 0, 0, 0, 0, 0, 0, "not_at_all"],
    [1, 1, 1, 1, 1, 1, 1, 1, "extremely"],
)
ODI_VARIANTS = (
    [2, 1, 2, 1, 2, 1, 1, 0, 1, 1],
    [3, 2, 3, 2, 3, 2, 2, None, 2, 2],
    [1, 0, 1, 0, 1, 0, 1, 0, 0, 0],
    [None] * 10,
    [4, 3, 4, 3, 4, 3, 3, 2, 3, 3],
)


@dataclass(frozen=True)
class IntakeTemplate:
    """One set of intake answers with its real scores and triage result (age filled in)."""

    answers_json: str  # with the age as the placeholder "__AGE__"
    pain_now: int
    start_back_json: str
    start_back_total: int
    start_back_psychosocial: int
    start_back_risk: str
    odi_json: str
    odi_percent: str
    disposition: str
    reasons_json: str
    medication: str


def intake_templates(
    rng: random.Random,
) -> dict[int, tuple[list[IntakeTemplate], list[IntakeTemplate]]]:
    """Per age (14..100): answer sets triaged by the real rules, as (PHYSIO, the others)."""
    bases: list[dict[str, Any]] = []
    for i in range(60):
        plain = i % 3 != 0  # two in three: nothing for the GP in the answers
        answers: dict[str, Any] = {
            "duration_days": rng.choice((2, 5, 7, 10) if plain else (5, 21, 45, 90)),
            "pain_now": rng.randint(2, 9),
            "seen_by_doctor": rng.random() < 0.2,
            "radiation": rng.choice(
                ("none", "buttock_thigh") if plain else triage.RADIATION_CHOICES
            ),
            "leg_numbness": "none" if plain else rng.choice(("none", "one_leg")),
            "painkiller_days": rng.choice((0, 0, 2, 4) if plain else (0, 4, 10)),
        }
        # Rules 2027.1: never more days on painkillers than days of pain.
        answers["painkiller_days"] = min(answers["painkiller_days"], answers["duration_days"])
        for key in triage.RED_FLAG_BOOLEAN_KEYS:
            answers[key] = False
        if i % 20 == 0:
            answers["saddle_numbness"] = True  # an emergency now and then
        elif i % 9 == 0:
            answers["fever"] = True
        elif i % 13 == 0:
            answers["night_pain"] = True
        bases.append(answers)
    pools: dict[int, tuple[list[IntakeTemplate], list[IntakeTemplate]]] = {}
    for age in range(14, 101):
        pool = []
        for i, base in enumerate(bases):
            answers = {"age": age, **base}
            result = triage.triage(answers)
            items = START_BACK_VARIANTS[i % len(START_BACK_VARIANTS)]
            odi = ODI_VARIANTS[i % len(ODI_VARIANTS)]
            start = scores.start_back(items)
            odi_percent = scores.oswestry(odi)
            text = json.dumps({**answers, "age": "__AGE__"}).replace('"__AGE__"', "__AGE__")
            pool.append(
                IntakeTemplate(
                    answers_json=text,
                    pain_now=answers["pain_now"],
                    start_back_json=json.dumps(items),
                    start_back_total=start.total,
                    start_back_psychosocial=start.psychosocial,
                    start_back_risk=start.risk,
                    odi_json=json.dumps(odi),
                    odi_percent=N if odi_percent is None else f"{odi_percent:.1f}",
                    disposition=result.disposition,
                    reasons_json=json.dumps(list(result.reasons)),
                    medication=MEDICATION[i % len(MEDICATION)],
                )
            )
        pools[age] = (
            [t for t in pool if t.disposition == triage.PHYSIO],
            [t for t in pool if t.disposition != triage.PHYSIO],
        )
    return pools


@dataclass(frozen=True)
class AnswerTemplate:
    answers_json: str  # the follow-up answers (the age is in the context, not here)
    outcome: str
    reasons_json: str
    disposition: str
    rule_version: str
    pain_now: int
    odi_percent: str


def followup_templates() -> dict[int, list[AnswerTemplate]]:
    """Follow-up answers for each outcome, classified by the real rules (per age)."""
    shapes = (
        # recovered, improving, persistent (x2, one by ODI), red flag
        {"still_back_pain": False, "pain_now": 0, "global_change": "much_better"},
        {"still_back_pain": True, "pain_now": 1, "global_change": "better"},
        {"still_back_pain": True, "pain_now": 3, "global_change": "better"},
        {"still_back_pain": True, "pain_now": 3, "global_change": "much_better"},
        {"still_back_pain": True, "pain_now": 3, "global_change": "better"},
        {"still_back_pain": True, "pain_now": 6, "global_change": "same"},
        {
            "still_back_pain": True,
            "pain_now": 3,
            "global_change": "better",
            "odi": [4, 3, 4, 3, 4, 3, 3, 2, 3, 3],
        },
        {"still_back_pain": True, "pain_now": 5, "global_change": "worse", "fever": True},
        {"still_back_pain": False, "pain_now": 0, "global_change": "much_better"},
        {"still_back_pain": True, "pain_now": 2, "global_change": "better"},
    )
    pools: dict[int, list[AnswerTemplate]] = {}
    for age in range(14, 101):
        pool = []
        for shape in shapes:
            answers: dict[str, Any] = {"painkillers_still": False, **shape}
            result = followup_rules.classify(answers, {"age": age, "baseline_pain": 6}, 1)
            odi = answers.get("odi")
            odi_percent = scores.oswestry(odi) if odi else None
            text = json.dumps(answers)
            pool.append(
                AnswerTemplate(
                    answers_json=text,
                    outcome=result.state,
                    reasons_json=json.dumps(list(result.reasons)),
                    disposition=result.disposition or "",
                    rule_version=result.rule_version,
                    pain_now=answers["pain_now"],
                    odi_percent=N if odi_percent is None else f"{odi_percent:.1f}",
                )
            )
        pools[age] = pool
    return pools


# --- INSZ -------------------------------------------------------------------------------


def insz_for(birth: date, serial: int) -> str:
    """A check-digit-valid national number for ``birth`` and the day's serial (1..997)."""
    body = f"{birth:%y%m%d}{serial:03d}"
    base = int(("2" if birth.year >= 2000 else "") + body)
    return f"{body}{97 - base % 97:02d}"


# --- users ------------------------------------------------------------------------------


@dataclass
class Staff:
    reception: list[int]
    physios: list[int]
    coordinators: dict[str, int]
    manager: int
    admin: int
    campuses: dict[str, int]


def create_staff(scale: Scale) -> Staff:
    """Bench staff accounts (unusable passwords: the bench signs in with force_login)."""
    User = get_user_model()
    groups = {g.name: g for g in Group.objects.all()}
    campuses = {c.code: c for c in Campus.objects.all()}
    User.objects.filter(username__startswith="bench.").delete()
    now = datetime.now(UTC)

    def make(username: str, **extra: Any) -> Any:
        return User(
            username=username,
            password=BENCH_PASSWORD_HASH,
            first_name=username.split(".")[-1].title(),
            last_name="Bench",
            email=f"{username}@bench.example",
            date_joined=now,
            **extra,
        )

    reception = [make(f"bench.reception{i}") for i in range(10)]
    physios = [make(f"bench.physio{i}") for i in range(scale.physios)]
    coordinators = {code: make(f"bench.coord.{code}") for code in campuses}
    manager = make("bench.manager")
    admin = make("bench.admin", is_staff=True, is_superuser=True)
    everyone = [*reception, *physios, *coordinators.values(), manager, admin]
    User.objects.bulk_create(everyone, batch_size=1000)
    by_name = dict(User.objects.filter(username__startswith="bench.").values_list("username", "pk"))
    memberships = []
    Membership = User.groups.through
    for user in reception:
        memberships.append(Membership(user_id=by_name[user.username], group=groups[Role.RECEPTION]))
    for user in physios:
        memberships.append(
            Membership(user_id=by_name[user.username], group=groups[Role.PHYSIOTHERAPIST])
        )
    for user in coordinators.values():
        memberships.append(
            Membership(user_id=by_name[user.username], group=groups[Role.COORDINATOR])
        )
    memberships.append(Membership(user_id=by_name["bench.manager"], group=groups[Role.MANAGER]))
    memberships.append(Membership(user_id=by_name["bench.admin"], group=groups[Role.ADMIN]))
    Membership.objects.bulk_create(memberships, batch_size=1000)
    StaffProfile.objects.bulk_create(
        [
            StaffProfile(
                user_id=by_name[user.username],
                campus=next(
                    (c for code, c in campuses.items() if coordinators.get(code) is user), None
                ),
            )
            for user in everyone
        ],
        batch_size=1000,
    )
    return staff_ids()


def staff_ids() -> Staff:
    User = get_user_model()
    ids = dict(User.objects.filter(username__startswith="bench.").values_list("username", "pk"))
    campuses = dict(Campus.objects.values_list("code", "pk"))
    return Staff(
        reception=sorted(pk for name, pk in ids.items() if name.startswith("bench.reception")),
        physios=sorted(pk for name, pk in ids.items() if name.startswith("bench.physio")),
        coordinators={code: ids[f"bench.coord.{code}"] for code in campuses},
        manager=ids["bench.manager"],
        admin=ids["bench.admin"],
        campuses=campuses,
    )


# --- the generator ----------------------------------------------------------------------


@dataclass
class PatientRow:
    age_at_intake: int
    can_email: bool
    email: str
    language: str
    first_name: str
    postcode: str


class DataSet:
    """Generates every table's rows from one seeded random stream, in id order."""

    def __init__(self, scale: Scale, as_of: datetime, staff: Staff) -> None:
        self.scale = scale
        self.as_of = as_of
        self.as_of_s = epoch(as_of)
        self.today = schedule.local_date(as_of)
        self.staff = staff
        self.rng = random.Random(SEED)
        self.clock = Clock()
        self.last_names = _split_names(LAST_NAMES)
        self.folded_last = {name: fold(name) for name in self.last_names}
        self.folded_first = {name: fold(name) for name in FIRST_NAMES}
        self.intake_pool = intake_templates(self.rng)
        self.answer_pool = followup_templates()
        catchments = dict(CatchmentPostcode.objects.values_list("postcode", "campus_id"))
        self.catchment = catchments
        self.postcodes = [*catchments] * 3 + list(OTHER_POSTCODES)
        self.campus_ids = sorted(staff.campuses.values())
        n = scale.patients
        # Intake day offsets (days before as_of), oldest first so ids follow time.
        self.offsets = sorted((self.rng.randrange(DAYS) for _ in range(n)), reverse=True)
        self.patients: list[PatientRow] = []
        self.intake: list[IntakeTemplate] = []
        self.episode_state: list[str] = []
        self.episode_closed_s: list[float | None] = []
        self.physio: list[int | None] = []
        self.recorded_s: list[float] = []
        self.due: dict[date, datetime] = {}
        # (episode id, answered_at seconds, campus id) of persistent follow-ups
        self.persistent: list[tuple[int, float]] = []

    # -- helpers
    def intake_date(self, i: int) -> date:
        return self.today - timedelta(days=self.offsets[i])

    def due_at(self, day: date) -> datetime:
        moment = self.due.get(day)
        if moment is None:
            moment = schedule.due_at_for(day)
            self.due[day] = moment
        return moment

    # -- patients
    def patient_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        serials: dict[date, int] = {}
        reception = self.staff.reception
        languages = ("nl",) * 15 + ("fr",) * 4 + ("en",)
        for i in range(self.scale.patients):
            pid = i + 1
            day = self.intake_date(i)
            target = rng.randint(18, 88) if rng.random() < 0.98 else rng.randint(14, 17)
            birth = date(day.year - target, rng.randint(1, 12), rng.randint(1, 28))
            age = age_on(birth, day)
            last = rng.choice(self.last_names)
            first = rng.choice(FIRST_NAMES)
            if rng.random() < 0.97:
                serial = serials.get(birth, 0) + 1
                serials[birth] = serial
                insz, reason = insz_for(birth, serial), ""
                sex = "M" if serial % 2 else "F"
            else:
                insz, reason = N, "foreign patient without a Belgian number"
                sex = rng.choice("FMX")
            language = rng.choice(languages)
            has_email = rng.random() < 0.85
            consent = has_email and rng.random() < 0.9
            email = (
                f"p{pid}.{self.folded_first[first].replace(' ', '')}@example.org"
                if (has_email)
                else ""
            )
            postcode = rng.choice(self.postcodes)
            recorded = epoch(datetime.combine(day, datetime.min.time(), UTC)) + rng.randint(
                7 * 3600, 17 * 3600
            )
            if recorded > self.as_of_s - 60:
                recorded = self.as_of_s - rng.randint(60, 3600)
            self.recorded_s.append(recorded)
            created = ts(recorded - 600)
            self.patients.append(PatientRow(age, consent, email, language, first, postcode))
            campus_pref = str(rng.choice(self.campus_ids)) if rng.random() < 0.05 else N
            yield "\t".join(
                (
                    str(pid),
                    insz,
                    reason,
                    esc(first),
                    esc(last),
                    esc(f"{self.folded_last[last]} {self.folded_first[first]}"),
                    esc(self.folded_last[last]),
                    birth.isoformat(),
                    sex,
                    language,
                    email,
                    f"+3247{rng.randint(0, 9_999_999):07d}",
                    postcode,
                    rng.choice(GP_NAMES),
                    rng.choice(GP_PRACTICES),
                    b(consent),
                    created if consent else N,
                    created,
                    campus_pref,
                    str(reception[pid % len(reception)]),
                )
            )

    PATIENT_COLUMNS = (
        "id",
        "insz",
        "no_insz_reason",
        "first_name",
        "last_name",
        "name_key",
        "last_name_key",
        "birth_date",
        "sex",
        "language",
        "email",
        "phone",
        "postcode",
        "gp_name",
        "gp_practice",
        "email_consent",
        "email_consent_at",
        "created_at",
        "campus_preference_id",
        "created_by_id",
    )

    # -- episodes (one per patient, same id)
    def episode_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        physios = self.staff.physios
        for i in range(self.scale.patients):
            eid = i + 1
            k = self.offsets[i]
            patient = self.patients[i]
            physio_pool, other_pool = self.intake_pool[min(100, max(14, patient.age_at_intake))]
            wanted = physio_pool if rng.random() < 0.8 else other_pool
            pool = wanted or physio_pool or other_pool
            template = pool[rng.randrange(len(pool))]
            self.intake.append(template)
            closed_s: float | None = None
            physio: int | None = None
            recorded = self.recorded_s[i]
            if template.disposition == triage.PHYSIO:
                if k <= 2 and rng.random() < 0.5:
                    state = "open"
                elif k <= 84:
                    state, physio = "in_treatment", physios[rng.randrange(len(physios))]
                else:
                    state, physio = "closed", physios[rng.randrange(len(physios))]
                    closed_s = recorded + rng.randint(50, 90) * 86400
            elif k <= 14:
                state = "emergency" if template.disposition == triage.EMERGENCY else "awaiting_gp"
            else:
                state = "closed"
                closed_s = recorded + rng.randint(1, 14) * 86400
            self.episode_state.append(state)
            self.episode_closed_s.append(closed_s)
            self.physio.append(physio)
            yield "\t".join(
                (
                    str(eid),
                    self.intake_date(i).isoformat(),
                    state,
                    ts(recorded),
                    N if closed_s is None else ts(closed_s),
                    N if physio is None else str(physio),
                    str(eid),
                )
            )

    EPISODE_COLUMNS = (
        "id",
        "intake_date",
        "state",
        "opened_at",
        "closed_at",
        "physio_id",
        "patient_id",
    )

    def intake_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        reception = self.staff.reception
        for i in range(self.scale.patients):
            eid = i + 1
            t = self.intake[i]
            recorded = self.recorded_s[i]
            roll = rng.random()
            source = "desk" if roll < 0.85 else ("self" if roll < 0.95 else "kiosk")
            by = str(reception[eid % len(reception)])
            if source == "desk":
                reviewed, reviewer, recorder = ts(recorded), by, by
            elif self.offsets[i] <= 2 and rng.random() < 0.5:
                reviewed, reviewer, recorder = N, N, N
            else:
                reviewed, reviewer, recorder = ts(recorded + 3600), by, N
            age = self.patients[i].age_at_intake
            yield "\t".join(
                (
                    str(eid),
                    ts(recorded),
                    source,
                    reviewed,
                    t.answers_json.replace("__AGE__", str(age)),
                    t.medication,
                    str(t.pain_now),
                    t.start_back_json,
                    str(t.start_back_total),
                    str(t.start_back_psychosocial),
                    t.start_back_risk,
                    t.odi_json,
                    t.odi_percent,
                    t.disposition,
                    t.reasons_json,
                    triage.RULE_VERSION,
                    str(eid),
                    recorder,
                    reviewer,
                )
            )

    INTAKE_COLUMNS = (
        "id",
        "recorded_at",
        "source",
        "reviewed_at",
        "answers",
        "medication",
        "pain_now",
        "start_back_items",
        "start_back_total",
        "start_back_psychosocial",
        "start_back_risk",
        "odi_sections",
        "odi_percent",
        "disposition",
        "reasons",
        "rule_version",
        "episode_id",
        "recorded_by_id",
        "reviewed_by_id",
    )

    def alert_rows(self) -> Iterator[str]:
        ts = self.clock.ts
        reception = self.staff.reception
        aid = 0
        for i in range(self.scale.patients):
            t = self.intake[i]
            if t.disposition == triage.PHYSIO:
                continue
            aid += 1
            recorded = self.recorded_s[i]
            open_ = self.offsets[i] <= 1
            yield "\t".join(
                (
                    str(aid),
                    "intake",
                    t.disposition,
                    t.reasons_json,
                    ts(recorded),
                    N if open_ else ts(recorded + 1800),
                    N if open_ else str(reception[aid % len(reception)]),
                    str(i + 1),
                )
            )

    ALERT_COLUMNS = (
        "id",
        "kind",
        "disposition",
        "reasons",
        "created_at",
        "acknowledged_at",
        "acknowledged_by_id",
        "episode_id",
    )

    def plan_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        approach = {"low": "advice", "medium": "physiotherapy", "high": "psychologically_informed"}
        for i in range(self.scale.patients):
            if self.episode_state[i] not in ("in_treatment", "closed") or self.physio[i] is None:
                continue
            if self.episode_state[i] == "closed" and rng.random() < 0.5:
                continue
            eid = i + 1
            recorded = self.recorded_s[i]
            next_on = (
                (self.today + timedelta(days=rng.randint(-3, 14))).isoformat()
                if self.episode_state[i] == "in_treatment"
                else N
            )
            yield "\t".join(
                (
                    str(eid),
                    approach[self.intake[i].start_back_risk],
                    str(rng.choice((1, 2, 2, 3))),
                    str(rng.choice((6, 8, 10, 12))),
                    next_on,
                    ts(recorded + 86400),
                    ts(recorded + 86400),
                    str(eid),
                    str(self.physio[i]),
                )
            )

    PLAN_COLUMNS = (
        "id",
        "approach",
        "sessions_per_week",
        "planned_sessions",
        "next_session_on",
        "created_at",
        "updated_at",
        "episode_id",
        "updated_by_id",
    )

    def session_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        sid = 0
        for i in range(self.scale.patients):
            if self.episode_state[i] != "in_treatment":
                continue
            day = self.intake_date(i)
            for week in (1, 2, 4):
                session_day = day + timedelta(days=7 * week)
                if session_day >= self.today:
                    break
                sid += 1
                yield "\t".join(
                    (
                        str(sid),
                        session_day.isoformat(),
                        str(rng.randint(1, 7)),
                        N,
                        N,
                        "Mobilisation, exercises reviewed",
                        rng.choice(("all", "most", "some")),
                        "",
                        ts(epoch(schedule.local_at(session_day))),
                        str(i + 1),
                        str(self.physio[i]),
                    )
                )

    SESSION_COLUMNS = (
        "id",
        "session_date",
        "pain_now",
        "odi_sections",
        "odi_percent",
        "work_done",
        "adherence",
        "notes",
        "recorded_at",
        "episode_id",
        "recorded_by_id",
    )

    # -- follow-ups (number 1, id = episode id), with their links and sent mail
    def followup_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        as_of = self.as_of_s
        reception = self.staff.reception
        self.invited: list[tuple[int, float, float, int]] = []  # id, invited, expires, reminders
        for i in range(self.scale.patients):
            fid = i + 1
            patient = self.patients[i]
            due = self.due_at(self.intake_date(i))
            due_s = epoch(due)
            closed_s = self.episode_closed_s[i]
            row = dict.fromkeys(
                (
                    "next_action_at",
                    "invited_at",
                    "last_reminded_at",
                    "link_expires_at",
                    "call_listed_at",
                    "last_call_at",
                    "closed_at",
                    "answered_at",
                    "answers",
                    "pain_now",
                    "odi_percent",
                    "answered_by_id",
                    "closed_by_id",
                ),
                N,
            )
            row.update(
                reminders_sent="0",
                call_reason="",
                call_attempts="0",
                last_call_result="",
                call_note="",
                answered_via="",
                outcome="",
                outcome_reasons="[]",
                outcome_disposition="",
                rule_version="",
            )
            if due_s > as_of:
                state = "scheduled"
                row["next_action_at"] = ts(due_s)
            elif closed_s is not None and closed_s < due_s:
                state = "cancelled"
                row["closed_at"] = ts(due_s)
            elif not patient.can_email:
                state = "call_list"
                row["call_reason"] = "no_email" if not patient.email else "no_consent"
                row["call_listed_at"] = ts(due_s)
                if as_of - due_s > 14 * 86400 and rng.random() < 0.8:
                    state = "done"
                    row.update(
                        call_attempts="1",
                        last_call_result="reached",
                        last_call_at=ts(due_s + 2 * 86400),
                        closed_at=ts(due_s + 2 * 86400),
                        closed_by_id=str(reception[fid % len(reception)]),
                    )
            else:
                expires_s = due_s + schedule.LINK_DAYS * 86400
                row["invited_at"] = ts(due_s)
                row["link_expires_at"] = ts(expires_s)
                answered_s = due_s + rng.randint(3600, 10 * 86400)
                in_window = as_of < expires_s
                reminders = sum(
                    1 for d in schedule.REMINDER_DAYS if due_s + d * 86400 <= min(as_of, answered_s)
                )
                if answered_s < as_of and rng.random() < 0.7:
                    state = "answered"
                    age = patient.age_at_intake
                    pool = self.answer_pool[min(100, max(14, age))]
                    answer = pool[rng.randrange(len(pool))]
                    row.update(
                        answered_at=ts(answered_s),
                        answered_via="link",
                        answers=answer.answers_json.replace("__AGE__", str(age)),
                        outcome=answer.outcome,
                        outcome_reasons=answer.reasons_json,
                        outcome_disposition=answer.disposition,
                        rule_version=answer.rule_version,
                        pain_now=str(answer.pain_now),
                        odi_percent=answer.odi_percent,
                    )
                    if answer.outcome == followup_rules.PERSISTENT:
                        self.persistent.append((fid, answered_s))
                elif in_window:
                    state = "reminded" if reminders else "invited"
                    next_s = (
                        due_s + schedule.REMINDER_DAYS[reminders] * 86400
                        if reminders < len(schedule.REMINDER_DAYS)
                        else expires_s
                    )
                    row["next_action_at"] = ts(next_s)
                else:
                    state = "expired"
                    reminders = len(schedule.REMINDER_DAYS)
                    row.update(call_reason="no_response", call_listed_at=ts(expires_s))
                    if as_of - expires_s > 14 * 86400 and rng.random() < 0.8:
                        state = "done"
                        row.update(
                            call_attempts="1",
                            last_call_result="reached",
                            last_call_at=ts(expires_s + 86400),
                            closed_at=ts(expires_s + 86400),
                            closed_by_id=str(reception[fid % len(reception)]),
                        )
                if reminders:
                    last = due_s + schedule.REMINDER_DAYS[reminders - 1] * 86400
                    row["reminders_sent"] = str(reminders)
                    row["last_reminded_at"] = ts(last)
                self.invited.append((fid, due_s, expires_s, reminders))
            yield "\t".join(
                (
                    str(fid),
                    "1",
                    ts(due_s),
                    state,
                    row["next_action_at"],
                    ts(self.recorded_s[i]),
                    row["invited_at"],
                    row["reminders_sent"],
                    row["last_reminded_at"],
                    row["link_expires_at"],
                    row["call_reason"],
                    row["call_listed_at"],
                    row["call_attempts"],
                    row["last_call_at"],
                    row["last_call_result"],
                    row["call_note"],
                    row["closed_at"],
                    row["answered_at"],
                    row["answered_via"],
                    row["answers"],
                    row["outcome"],
                    row["outcome_reasons"],
                    row["outcome_disposition"],
                    row["rule_version"],
                    row["pain_now"],
                    row["odi_percent"],
                    row["answered_by_id"],
                    row["closed_by_id"],
                    str(fid),
                )
            )

    FOLLOWUP_COLUMNS = (
        "id",
        "number",
        "due_at",
        "state",
        "next_action_at",
        "created_at",
        "invited_at",
        "reminders_sent",
        "last_reminded_at",
        "link_expires_at",
        "call_reason",
        "call_listed_at",
        "call_attempts",
        "last_call_at",
        "last_call_result",
        "call_note",
        "closed_at",
        "answered_at",
        "answered_via",
        "answers",
        "outcome",
        "outcome_reasons",
        "outcome_disposition",
        "rule_version",
        "pain_now",
        "odi_percent",
        "answered_by_id",
        "closed_by_id",
        "episode_id",
    )

    def link_rows(self) -> Iterator[str]:
        ts = self.clock.ts
        lid = 0
        for fid, invited_s, expires_s, reminders in self.invited:
            for n in range(reminders + 1):
                lid += 1
                sent = invited_s + (schedule.REMINDER_DAYS[n - 1] * 86400 if n else 0)
                yield "\t".join(
                    (
                        str(lid),
                        f"{self.rng.getrandbits(256):064x}",
                        ts(sent),
                        ts(expires_s),
                        N,
                        str(fid),
                    )
                )

    LINK_COLUMNS = ("id", "token_hash", "created_at", "expires_at", "used_at", "follow_up_id")

    def email_rows(self) -> Iterator[str]:
        ts = self.clock.ts
        mid = 0
        for fid, invited_s, expires_s, reminders in self.invited:
            patient = self.patients[fid - 1]
            expires_on = schedule.local_date(_EPOCH + timedelta(seconds=expires_s)).isoformat()
            for n in range(reminders + 1):
                mid += 1
                sent = invited_s + (schedule.REMINDER_DAYS[n - 1] * 86400 if n else 0)
                template = "followup_reminder" if n else "followup_invitation"
                purpose = f"reminder-{n}" if n else "invitation"
                context = (
                    f'{{"first_name": {json.dumps(patient.first_name)}, "expires_on": '
                    f'"{expires_on}", "weeks": 6, "reminder_number": {n}}}'
                )
                yield "\t".join(
                    (
                        str(mid),
                        patient.email,
                        patient.language,
                        template,
                        esc(context),
                        f"followup-{fid}-{purpose}",
                        "sent",
                        "1",
                        "",
                        N,
                        ts(sent + 30),
                        ts(sent),
                        N,
                        N,
                        f"followup:{fid}",
                        str(fid),
                    )
                )

    EMAIL_COLUMNS = (
        "id",
        "recipient",
        "language",
        "template",
        "context",
        "idempotency_key",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "dismissed_at",
        "dismissed_by_id",
        "reference",
        "patient_id",
    )

    # -- referrals: from persistent follow-ups, newest last
    def referral_rows(self) -> Iterator[str]:
        rng, ts = self.rng, self.clock.ts
        as_of = self.as_of_s
        wanted = self.scale.referrals
        # Persistent six-week follow-ups first, then physiotherapists' own proposals.
        taken = {fid for fid, _at in self.persistent}
        chosen = [(fid, at, "follow_up") for fid, at in self.persistent]
        if len(chosen) < wanted:
            candidates = [
                i + 1
                for i in range(self.scale.patients)
                if self.physio[i] is not None and self.offsets[i] > 60 and i + 1 not in taken
            ]
            for fid in rng.sample(candidates, min(wanted - len(chosen), len(candidates))):
                chosen.append((fid, self.recorded_s[fid - 1] + 45 * 86400, "physio"))
        chosen = sorted(rng.sample(chosen, min(wanted, len(chosen))))
        slots: dict[tuple[int, date], int] = {}
        physios = self.staff.physios
        coordinators = self.staff.coordinators
        by_campus = {pk: coordinators[code] for code, pk in self.staff.campuses.items()}
        self.referral_events: list[tuple[int, str, str, str, float, int | None, int | None]] = []
        for rid, (fid, answered_s, source) in enumerate(chosen, start=1):
            patient = self.patients[fid - 1]
            created_s = answered_s + 60
            sent_s = created_s + rng.randint(1, 5) * 86400
            age_days = (as_of - created_s) / 86400
            campus: int | None = self.catchment.get(patient.postcode) or rng.choice(self.campus_ids)
            rule = "catchment" if patient.postcode in self.catchment else "shortest_wait"
            appointment_date = appointment_time = N
            place = ""
            end_reason = ""
            if sent_s > as_of:
                state, sent = "proposed", None
            else:
                sent = sent_s
                if age_days < 10:
                    state = "sent"
                elif age_days < 20:
                    state = "accepted"
                elif age_days < 45:
                    state = "booked"
                elif age_days < 60:
                    state = "seen"
                else:
                    roll = rng.random()
                    state = (
                        "closed" if roll < 0.88 else ("declined" if roll < 0.94 else "cancelled")
                    )
                if state == "sent" and rng.random() < 0.02:
                    campus, rule = None, "none"
                if state in ("booked", "seen", "closed") and campus is not None:
                    # One booking per campus, day and time: a counter per campus and day.
                    day = schedule.local_date(_EPOCH + timedelta(seconds=sent_s)) + timedelta(
                        days=21
                    )
                    slot = slots.get((campus, day), 0)
                    slots[(campus, day)] = slot + 1
                    minutes = 8 * 60 + slot * 5
                    appointment_date = day.isoformat()
                    appointment_time = f"{minutes // 60:02d}:{minutes % 60:02d}:00"
                if state in ("declined", "cancelled"):
                    end_reason = "Not indicated at this time"
            changed_s = min(as_of - 60, created_s + max(0, age_days - 1) * 86400 / 2)
            physio = self.physio[fid - 1] or physios[fid % len(physios)]
            self.referral_events.append((rid, "propose", "", "proposed", created_s, None, campus))
            if sent is not None:
                self.referral_events.append((rid, "send", "proposed", "sent", sent, physio, campus))
            yield "\t".join(
                (
                    str(rid),
                    source,
                    f"Follow-up 1: PAIN-GE-4, NOT-BETTER · pain {rng.randint(4, 8)}/10"
                    if source == "follow_up"
                    else "Persistent pain despite physiotherapy",
                    state,
                    "",
                    rule if campus or rule == "none" else "",
                    "1",
                    ts(created_s),
                    N if sent is None else ts(sent),
                    ts(changed_s),
                    appointment_date,
                    appointment_time,
                    place,
                    end_reason,
                    N if sent is None else ts(sent + 60),
                    N if campus is None else str(campus),
                    N,
                    str(fid),
                    N if sent is None else str(physio),
                    str(fid) if source == "follow_up" else N,
                )
            )
        self.by_campus = by_campus

    REFERRAL_COLUMNS = (
        "id",
        "source",
        "reason",
        "state",
        "campus_reason",
        "campus_rule",
        "campus_rule_version",
        "created_at",
        "sent_at",
        "state_changed_at",
        "appointment_date",
        "appointment_time",
        "appointment_place",
        "end_reason",
        "patient_emailed_at",
        "campus_id",
        "created_by_id",
        "episode_id",
        "sent_by_id",
        "follow_up_id",
    )

    def referral_event_rows(self) -> Iterator[str]:
        ts = self.clock.ts
        for eid, (rid, action, from_state, to_state, at, by, campus) in enumerate(
            self.referral_events, start=1
        ):
            yield "\t".join(
                (
                    str(eid),
                    action,
                    from_state,
                    to_state,
                    "",
                    ts(at),
                    N if by is None else str(by),
                    N,
                    str(rid),
                    N if campus is None else str(campus),
                )
            )

    EVENT_COLUMNS = (
        "id",
        "action",
        "from_state",
        "to_state",
        "note",
        "at",
        "by_id",
        "from_campus_id",
        "referral_id",
        "to_campus_id",
    )


def as_of_for(now: datetime) -> datetime:
    """10:00 Brussels time today, or yesterday if that is still to come: inside the mail
    window and never in the future (the outbox only sends mail that is due)."""
    today = schedule.local_date(now)
    moment = schedule.local_at(today, datetime.min.time().replace(hour=10))
    if moment > now:
        moment = schedule.local_at(today - timedelta(days=1), datetime.min.time().replace(hour=10))
    return moment


# --- meta (what is loaded) --------------------------------------------------------------


def _ensure_meta(cursor: Any) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text)")


def read_meta() -> dict[str, Any]:
    with connection.cursor() as cursor:
        _ensure_meta(cursor)
        cursor.execute(f"SELECT key, value FROM {META_TABLE}")  # noqa: S608 - constant
        return {key: json.loads(value) for key, value in cursor.fetchall()}


def write_meta(values: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        _ensure_meta(cursor)
        for key, value in values.items():
            cursor.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, json.dumps(value)],
            )


def table_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our table names
        return int(cursor.fetchone()[0])


def max_ids() -> dict[str, int]:
    """The highest id of every loaded table: what the bench adds later lies above."""
    ids = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
            ids[table] = int(cursor.fetchone()[0])
    return ids


def loaded(scale: Scale) -> dict[str, Any] | None:
    """The meta of the loaded data set when its counts match ``scale``; else None."""
    meta = read_meta()
    if meta.get("patients") != scale.patients or meta.get("complete") is not True:
        return None
    if "max_ids" not in meta:
        return None
    reset(meta)  # whatever an interrupted run added
    counts = {
        "patients": table_count("intake_patient"),
        "episodes": table_count("intake_episode"),
        "intakes": table_count("intake_intakeassessment"),
        "referrals": table_count("referrals_referral"),
    }
    expected = {k: meta.get(k) for k in counts}
    if counts != expected:
        return None
    return meta


# Columns every loaded row of a table gets the same value in (COPY text format): NOT NULL
# columns the generator does not vary.
CONSTANT_COLUMNS = {
    "intake_patient": {"gp_email": "", "gp_unknown": "f"},
    "treatment_treatmentplan": {"strengthening_override_reason": ""},
    "followups_outboundemail": {"attachments": "[]"},
    "referrals_referral": {"campus_reason_params": "{}"},
}


def load(scale: Scale, log: Callable[[str], None]) -> dict[str, Any]:
    """Truncate and load everything; returns the meta (with ``load_seconds``)."""
    started = time.perf_counter()
    as_of = as_of_for(datetime.now(UTC))
    write_meta({"complete": False})
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        staff = create_staff(scale)
        data = DataSet(scale, as_of, staff)
        # The generator keeps references consistent; no per-row foreign-key triggers.
        cursor.execute("SET LOCAL session_replication_role = replica")
        raw = cursor.cursor  # psycopg's own cursor, for COPY

        def run(name: str, table: str, columns: Sequence[str], rows: Iterable[str]) -> None:
            t0 = time.perf_counter()
            constants = CONSTANT_COLUMNS.get(table, {})
            if constants:
                tail = "\t" + "\t".join(constants.values())
                columns = (*columns, *constants)
                rows = (row + tail for row in rows)
            counts[name] = copy_rows(raw, table, columns, rows)
            log(f"  {name:<16} {counts[name]:>10,} rows  {time.perf_counter() - t0:6.1f} s")

        run("patients", "intake_patient", DataSet.PATIENT_COLUMNS, data.patient_rows())
        run("episodes", "intake_episode", DataSet.EPISODE_COLUMNS, data.episode_rows())
        run("intakes", "intake_intakeassessment", DataSet.INTAKE_COLUMNS, data.intake_rows())
        run("alerts", "intake_alert", DataSet.ALERT_COLUMNS, data.alert_rows())
        run("plans", "treatment_treatmentplan", DataSet.PLAN_COLUMNS, data.plan_rows())
        run("sessions", "treatment_treatmentsession", DataSet.SESSION_COLUMNS, data.session_rows())
        run("follow_ups", "followups_followup", DataSet.FOLLOWUP_COLUMNS, data.followup_rows())
        run("links", "followups_questionnairelink", DataSet.LINK_COLUMNS, data.link_rows())
        run("emails", "followups_outboundemail", DataSet.EMAIL_COLUMNS, data.email_rows())
        run("referrals", "referrals_referral", DataSet.REFERRAL_COLUMNS, data.referral_rows())
        run(
            "referral_events",
            "referrals_referralevent",
            DataSet.EVENT_COLUMNS,
            data.referral_event_rows(),
        )
        for table in TABLES:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)",  # noqa: S608
                [table],
            )
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"  vacuum analyze {time.perf_counter() - t0:6.1f} s")
    meta = {
        "complete": True,
        "max_ids": max_ids(),
        "as_of": as_of.isoformat(),
        "load_seconds": round(time.perf_counter() - started, 1),
        **counts,
    }
    write_meta(meta)
    return meta
