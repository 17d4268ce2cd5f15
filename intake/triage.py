"""Intake triage: the versioned rule table of ``clinical-rules.md`` sections 1 and 2.

``triage(answers)`` validates a mapping of intake answers (section 1) and returns the most
urgent matching disposition with the codes of *all* matching rules, in table order. The
follow-up has its own warning-sign table (``followups.outcome``, section 4) that reuses
these codes and their reason texts.

Validation is strict so that a typo never silently turns a red flag off: unknown keys and
missing required keys are errors, booleans must be real booleans (not 0/1 nor strings),
integers must be real integers (not booleans nor floats) within range, and ``null`` is
only accepted where None is a meaningful value (none of the intake fields). Every bad
field is reported at once in ``AnswersError.errors``.

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

RULE_VERSION: Final = "2027.1"

EMERGENCY: Final = "EMERGENCY"
GP_URGENT: Final = "GP_URGENT"
GP_SOON: Final = "GP_SOON"
PHYSIO: Final = "PHYSIO"
DISPOSITIONS: Final[tuple[str, ...]] = (EMERGENCY, GP_URGENT, GP_SOON, PHYSIO)

LANGUAGES: Final[tuple[str, ...]] = ("nl", "fr", "en")

RADIATION_CHOICES: Final[tuple[str, ...]] = ("none", "buttock_thigh", "below_knee", "both_legs")
LEG_NUMBNESS_CHOICES: Final[tuple[str, ...]] = ("none", "one_leg", "both_legs")
RED_FLAG_BOOLEAN_KEYS: Final[tuple[str, ...]] = (
    "leg_weakness",
    "saddle_numbness",
    "bladder_bowel",
    "erectile_dysfunction",
    "trauma",
    "fever",
    "weight_loss",
    "cancer_history",
    "night_pain",
    "unwell",
    "immunosuppressed",
    "osteoporosis_or_steroids",
)

# Error key for problems that belong to no single field (e.g. the input is not an object).
NON_FIELD_ERRORS: Final = "__all__"


# --- validation -------------------------------------------------------------------------


class AnswersError(ValueError):
    """Invalid questionnaire answers; ``errors`` maps each bad field to an English message."""

    subject: ClassVar[str] = "answers"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        listed = "; ".join(f"{field}: {message}" for field, message in self.errors.items())
        super().__init__(f"invalid {self.subject}: {listed}")


class TriageInputError(AnswersError):
    subject: ClassVar[str] = "intake answers"


class Check(Protocol):
    """Validates one field value: returns the cleaned value or raises ValueError(message)."""

    def __call__(self, value: object) -> object: ...


@dataclass(frozen=True)
class Boolean:
    def __call__(self, value: object) -> object:
        if value is True or value is False:
            return value
        raise ValueError("must be true or false")


@dataclass(frozen=True)
class Integer:
    minimum: int
    maximum: int | None = None

    def __call__(self, value: object) -> object:
        in_range = (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.minimum <= value
            and (self.maximum is None or value <= self.maximum)
        )
        if in_range:
            return value
        if self.maximum is None:
            raise ValueError(f"must be a whole number of {self.minimum} or more")
        raise ValueError(f"must be a whole number from {self.minimum} to {self.maximum}")


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]

    def __call__(self, value: object) -> object:
        if isinstance(value, str) and value in self.choices:
            return value
        raise ValueError(f"must be one of: {', '.join(self.choices)}")


@dataclass(frozen=True)
class Nullable:
    """Accepts None (JSON null) as well as whatever ``check`` accepts."""

    check: Check

    def __call__(self, value: object) -> object:
        return None if value is None else self.check(value)


BOOLEAN: Final = Boolean()
AGE: Final = Integer(0, 120)
PAIN_SCORE: Final = Integer(0, 10)

Model = TypeVar("Model", bound="DataclassInstance")


@functools.cache
def _required_fields(model: type[DataclassInstance]) -> frozenset[str]:
    """The fields of ``model`` without a default (computed once per model)."""
    return frozenset(
        field.name
        for field in dataclasses.fields(model)
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    )


def validate_mapping(
    answers: object,
    schema: Mapping[str, Check],
    model: type[Model],
    error: type[AnswersError],
) -> Model:
    """Validate ``answers`` against ``schema`` and build ``model`` from the cleaned values.

    Required fields and defaults come from ``model``'s dataclass fields; ``schema`` holds
    one check per field. Raises ``error`` naming every bad field (schema order first, then
    unknown keys in input order).

    Answers that are entirely valid (the usual case) take a fast path that stops at the
    first problem; any problem falls through to the full pass that names every bad field.
    """
    if not isinstance(answers, Mapping):
        raise error({NON_FIELD_ERRORS: "the answers must be an object of field names and values"})
    plan = _plan(schema, model)
    cleaned: dict[str, Any] = {}
    try:
        for name, check, required in plan.fields:
            value = answers.get(name, _MISSING)
            # Inline the commonest check (booleans); the others are called.
            if value is True or value is False:
                if check is not BOOLEAN:
                    cleaned[name] = check(value)
                else:
                    cleaned[name] = value
            elif value is not _MISSING:
                cleaned[name] = check(value)
            elif required:
                raise ValueError
    except ValueError:
        raise error(_errors(answers, schema, plan.required)) from None
    if len(cleaned) != len(answers):  # keys the schema does not know
        raise error(_errors(answers, schema, plan.required))
    return cast(Model, _build(plan, cleaned))


@dataclass(frozen=True)
class _Plan:
    schema: Mapping[str, Check]
    fields: tuple[tuple[str, Check, bool], ...]
    required: frozenset[str]
    model: type[Any]
    defaults: Mapping[str, Any]


_MISSING: Final = object()
_PLANS: dict[tuple[int, type[Any]], _Plan] = {}


def _plan(schema: Mapping[str, Check], model: type[Any]) -> _Plan:
    """The checks of ``schema`` for ``model``, worked out once per (schema, model)."""
    plan = _PLANS.get((id(schema), model))
    if plan is None or plan.schema is not schema:
        plan = _PLANS[(id(schema), model)] = _make_plan(schema, model)
    return plan


def _make_plan(schema: Mapping[str, Check], model: type[DataclassInstance]) -> _Plan:
    if hasattr(model, "__post_init__"):
        raise TypeError(f"{model.__name__}: __post_init__ is not supported")
    required = _required_fields(model)
    defaults = {
        field.name: field.default
        for field in dataclasses.fields(model)
        if field.default is not dataclasses.MISSING
    }
    if any(field.default_factory is not dataclasses.MISSING for field in dataclasses.fields(model)):
        raise TypeError(f"{model.__name__}: default factories are not supported")
    unchecked = set(required) - set(schema)
    if unchecked:
        raise TypeError(f"{model.__name__}: required fields without a check: {sorted(unchecked)}")
    fields = tuple((name, check, name in required) for name, check in schema.items())
    return _Plan(schema=schema, fields=fields, required=required, model=model, defaults=defaults)


def _build(plan: _Plan, cleaned: dict[str, Any]) -> Any:
    """``plan.model(**cleaned)`` for a frozen dataclass without ``__post_init__``, without
    its generated ``__init__`` (one ``object.__setattr__`` per field: most of the time of
    a whole triage). The instance is the same: equal, hashable, frozen."""
    instance = object.__new__(plan.model)
    state = instance.__dict__
    state.update(plan.defaults)
    state.update(cleaned)
    return instance


def _errors(
    answers: Mapping[Any, object], schema: Mapping[str, Check], required: frozenset[str]
) -> dict[str, str]:
    """Every bad field of ``answers``: schema order first, then unknown keys in input order."""
    errors: dict[str, str] = {}
    for name, check in schema.items():
        if name not in answers:
            if name in required:
                errors[name] = "this field is required"
            continue
        try:
            check(answers[name])
        except ValueError as exc:
            errors[name] = str(exc)
    for key in answers:
        if key not in schema:
            errors[str(key)] = "unknown field"
    return errors


# --- answers ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IntakeAnswers:
    """All intake answers of section 1 (validated), with their defaults."""

    age: int
    duration_days: int
    pain_now: int
    seen_by_doctor: bool = False
    radiation: str = "none"
    leg_numbness: str = "none"
    leg_weakness: bool = False
    saddle_numbness: bool = False
    bladder_bowel: bool = False
    erectile_dysfunction: bool = False
    trauma: bool = False
    fever: bool = False
    weight_loss: bool = False
    cancer_history: bool = False
    night_pain: bool = False
    unwell: bool = False
    immunosuppressed: bool = False
    osteoporosis_or_steroids: bool = False
    painkiller_days: int = 0
    inflammatory_signs: bool = False


INTAKE_FIELDS: Final[Mapping[str, Check]] = {
    "age": AGE,
    "duration_days": Integer(0),
    "pain_now": PAIN_SCORE,
    "seen_by_doctor": BOOLEAN,
    "radiation": Choice(RADIATION_CHOICES),
    "leg_numbness": Choice(LEG_NUMBNESS_CHOICES),
    **{key: BOOLEAN for key in RED_FLAG_BOOLEAN_KEYS},
    "painkiller_days": Integer(0),
    "inflammatory_signs": BOOLEAN,
}
PAINKILLER_DAYS_TOO_MANY: Final = "must not be more than duration_days"


def _painkiller_days_error(answers: Mapping[str, object]) -> dict[str, str]:
    """``painkiller_days > duration_days`` (section 1), when both are present and valid."""
    try:
        days = INTAKE_FIELDS["duration_days"](answers["duration_days"])
        pills = INTAKE_FIELDS["painkiller_days"](answers.get("painkiller_days", 0))
    except (KeyError, ValueError):
        return {}
    return {"painkiller_days": PAINKILLER_DAYS_TOO_MANY} if pills > days else {}  # type: ignore[operator]


def validate_answers(answers: Mapping[str, object]) -> IntakeAnswers:
    """Validate intake answers (section 1); raises ``TriageInputError`` naming every bad
    field, ``painkiller_days`` too when it exceeds ``duration_days``."""
    try:
        clean = validate_mapping(answers, INTAKE_FIELDS, IntakeAnswers, TriageInputError)
    except TriageInputError as exc:
        if "painkiller_days" not in exc.errors and isinstance(answers, Mapping):
            errors = {**exc.errors, **_painkiller_days_error(answers)}
            if errors != exc.errors:
                raise TriageInputError(errors) from None
        raise
    if clean.painkiller_days > clean.duration_days:
        raise TriageInputError({"painkiller_days": PAINKILLER_DAYS_TOO_MANY})
    return clean


# --- rules ------------------------------------------------------------------------------

Answers = TypeVar("Answers", contravariant=True)


@dataclass(frozen=True)
class Rule(Generic[Answers]):
    code: str
    disposition: str
    condition: Callable[[Answers], bool]
    reason: Mapping[str, str]


@dataclass(frozen=True)
class TriageResult:
    disposition: str
    reasons: tuple[str, ...]
    rule_version: str = RULE_VERSION


# E- and U-rules: they always apply, whether or not a doctor has seen the episode.
RED_FLAG_RULES: Final[tuple[Rule[IntakeAnswers], ...]] = (
    Rule(
        "E-SADDLE",
        EMERGENCY,
        lambda a: a.saddle_numbness,
        {
            "nl": "U heeft een verdoofd gevoel rond uw zitvlak, anus of geslachtsdelen. Dat kan"
            " betekenen dat de zenuwen onderaan in de rug klem zitten.",
            "fr": "Vous avez perdu la sensibilité autour des fesses, de l'anus ou des parties"
            " génitales. Cela peut signifier que les nerfs du bas du dos sont comprimés.",
            "en": "You have numbness around your buttocks, anus or genitals. This can mean that"
            " the nerves at the bottom of your spine are being squeezed.",
        },
    ),
    Rule(
        "E-BLADDER",
        EMERGENCY,
        lambda a: a.bladder_bowel,
        {
            "nl": "U heeft sinds kort moeite met plassen of met de stoelgang, of u verliest urine"
            " of stoelgang. Dat kan betekenen dat de zenuwen onderaan in de rug klem zitten.",
            "fr": "Vous avez depuis peu du mal à uriner ou à aller à selle, ou vous perdez urine"
            " ou selles. Cela peut signifier que les nerfs du bas du dos sont comprimés.",
            "en": "You have new trouble passing urine or stools, or you cannot hold them. This"
            " can mean that the nerves at the bottom of your spine are being squeezed.",
        },
    ),
    Rule(
        "E-ERECTILE",
        EMERGENCY,
        lambda a: a.erectile_dysfunction,
        {
            "nl": "U heeft sinds kort erectieproblemen. Samen met rugpijn kan dat betekenen dat"
            " de zenuwen onderaan in de rug klem zitten.",
            "fr": "Vous avez depuis peu des troubles de l'érection. Avec un mal de dos, cela peut"
            " signifier que les nerfs du bas du dos sont comprimés.",
            "en": "You have new problems getting an erection. Together with back pain, this can"
            " mean that the nerves at the bottom of your spine are being squeezed.",
        },
    ),
    Rule(
        "E-WEAKNESS",
        EMERGENCY,
        lambda a: a.leg_weakness,
        {
            "nl": "U heeft krachtverlies in uw been: u kunt bijvoorbeeld uw voet niet optillen,"
            " niet op uw hielen of tenen staan, of uw knie begeeft het. Een zenuw kan ernstig"
            " bekneld zitten.",
            "fr": "Vous avez perdu de la force dans la jambe : par exemple, vous ne pouvez pas"
            " relever le pied, vous ne tenez pas sur les talons ou sur la pointe des pieds, ou"
            " votre genou lâche. Un nerf est peut-être fortement comprimé.",
            "en": "Your leg has lost strength: for example, you cannot lift your foot, cannot"
            " stand on your heels or toes, or your knee gives way. A nerve may be badly"
            " trapped.",
        },
    ),
    Rule(
        "E-NUMB-BOTH",
        EMERGENCY,
        lambda a: a.leg_numbness == "both_legs",
        {
            "nl": "U heeft tintelingen, een branderig of een verdoofd gevoel in beide benen of"
            " voeten. Dat kan betekenen dat meerdere zenuwen in de onderrug klem zitten.",
            "fr": "Vous avez des fourmillements, des brûlures ou une perte de sensibilité dans"
            " les deux jambes ou les deux pieds. Cela peut signifier que plusieurs nerfs du bas"
            " du dos sont comprimés.",
            "en": "You have tingling, burning or numbness in both legs or feet. This can mean"
            " that several nerves in your lower back are being squeezed.",
        },
    ),
    Rule(
        "E-TRAUMA",
        EMERGENCY,
        lambda a: a.trauma,
        {
            "nl": "Uw rugpijn begon na een ongeval of een val. Er kan een wervel gekwetst zijn;"
            " dat moet meteen nagekeken worden.",
            "fr": "Votre mal de dos a commencé après un accident ou une chute. Une vertèbre est"
            " peut-être blessée ; il faut la faire examiner tout de suite.",
            "en": "Your back pain started after an accident or a fall. A bone in your spine may"
            " be injured and needs to be checked straight away.",
        },
    ),
    Rule(
        "E-FEVER",
        EMERGENCY,
        lambda a: a.fever,
        {
            "nl": "U heeft koorts of koude rillingen naast uw rugpijn. Dat kan wijzen op een"
            " infectie die snel behandeld moet worden.",
            "fr": "Vous avez de la fièvre ou des frissons en plus du mal de dos. Cela peut être"
            " le signe d'une infection qui doit être soignée rapidement.",
            "en": "You have a fever or chills as well as back pain. This can be a sign of an"
            " infection that needs treatment quickly.",
        },
    ),
    Rule(
        "U-WEIGHT",
        GP_URGENT,
        lambda a: a.weight_loss,
        {
            "nl": "U bent vermagerd zonder dat u weet waarom. Uw huisarts moet de oorzaak zoeken.",
            "fr": "Vous avez maigri sans savoir pourquoi. Votre médecin doit en chercher la cause.",
            "en": "You have lost weight without knowing why. Your doctor needs to look for the"
            " cause.",
        },
    ),
    Rule(
        "U-CANCER",
        GP_URGENT,
        lambda a: a.cancer_history,
        {
            "nl": "U heeft ooit kanker gehad. Uw huisarts moet nagaan of uw rugpijn daar niets"
            " mee te maken heeft.",
            "fr": "Vous avez eu un cancer. Votre médecin doit vérifier que votre mal de dos n'y"
            " est pas lié.",
            "en": "You have had cancer in the past. Your doctor needs to make sure your back"
            " pain is not linked to it.",
        },
    ),
    Rule(
        "U-NIGHT",
        GP_URGENT,
        lambda a: a.night_pain,
        {
            "nl": "U heeft 's nachts hevige pijn die niet beter wordt als u rust. Uw huisarts moet"
            " de oorzaak zoeken.",
            "fr": "Vous avez la nuit de fortes douleurs qui ne se calment pas au repos. Votre"
            " médecin doit en chercher la cause.",
            "en": "You have severe pain at night that does not ease when you rest. Your doctor"
            " needs to look for the cause.",
        },
    ),
    Rule(
        "U-UNWELL",
        GP_URGENT,
        lambda a: a.unwell,
        {
            "nl": "U voelt zich naast uw rugpijn algemeen ziek. Uw huisarts moet u onderzoeken.",
            "fr": "En plus du mal de dos, vous vous sentez malade. Votre médecin doit vous"
            " examiner.",
            "en": "As well as back pain, you feel generally unwell. Your doctor needs to examine"
            " you.",
        },
    ),
    Rule(
        "U-CHILD",
        GP_URGENT,
        lambda a: a.age is not None and a.age < 18,
        {
            "nl": "Bij kinderen en jongeren onder 18 jaar moet een arts rugpijn altijd"
            " onderzoeken.",
            "fr": "Chez les enfants et les jeunes de moins de 18 ans, un médecin doit toujours"
            " examiner le mal de dos.",
            "en": "In children and young people under 18, back pain should always be examined by"
            " a doctor.",
        },
    ),
    Rule(
        "U-IMMUNE",
        GP_URGENT,
        lambda a: a.immunosuppressed,
        {
            "nl": "Uw afweer is verzwakt (door een ziekte of door geneesmiddelen) of u spuit"
            " drugs in een ader. Dan krijgt u sneller een infectie; uw huisarts moet u"
            " onderzoeken.",
            "fr": "Vos défenses sont affaiblies (par une maladie ou des médicaments) ou vous vous"
            " injectez de la drogue. Le risque d'infection est alors plus élevé ; votre médecin"
            " doit vous examiner.",
            "en": "Your immune system is weakened (by an illness or medicines) or you inject"
            " drugs. This makes an infection more likely, so your doctor needs to examine you.",
        },
    ),
    Rule(
        "U-FRACTURE",
        GP_URGENT,
        lambda a: a.osteoporosis_or_steroids,
        {
            "nl": "U heeft botontkalking (osteoporose) of neemt al lang cortisone. Een wervel kan"
            " dan gemakkelijker breken; uw huisarts moet u onderzoeken.",
            "fr": "Vous avez de l'ostéoporose (des os fragiles) ou vous prenez de la cortisone"
            " depuis longtemps. Une vertèbre peut alors se casser plus facilement ; votre"
            " médecin doit vous examiner.",
            "en": "You have osteoporosis (thin bones) or have taken steroid medicines for a long"
            " time. A bone in your spine can then break more easily, so your doctor needs to"
            " examine you.",
        },
    ),
    Rule(
        "U-BILATERAL",
        GP_URGENT,
        lambda a: a.radiation == "both_legs",
        {
            "nl": "Uw pijn straalt uit naar beide benen. Dan kunnen meerdere zenuwen geprikkeld"
            " zijn; uw huisarts moet u snel onderzoeken.",
            "fr": "Votre douleur descend dans les deux jambes. Plusieurs nerfs sont peut-être"
            " irrités ; votre médecin doit vous examiner rapidement.",
            "en": "Your pain spreads into both legs. Several nerves may be irritated, so your"
            " doctor needs to examine you soon.",
        },
    ),
)

# S-rules: only when no doctor has assessed this episode yet (they check exactly these).
GP_SOON_RULES: Final[tuple[Rule[IntakeAnswers], ...]] = (
    Rule(
        "S-RADICULAR",
        GP_SOON,
        lambda a: a.radiation == "below_knee" or a.leg_numbness == "one_leg",
        {
            "nl": "Uw pijn straalt uit tot onder de knie, of u heeft tintelingen of een verdoofd"
            " gevoel in één been. Er kan een zenuw geprikkeld zijn; uw huisarts moet u"
            " onderzoeken.",
            "fr": "Votre douleur descend sous le genou, ou vous avez des fourmillements ou une"
            " perte de sensibilité dans une jambe. Un nerf est peut-être irrité ; votre médecin"
            " doit vous examiner.",
            "en": "Your pain spreads below the knee, or you have tingling or numbness in one"
            " leg. A nerve may be irritated, so your doctor needs to examine you.",
        },
    ),
    Rule(
        "S-DURATION",
        GP_SOON,
        lambda a: a.duration_days >= 21,
        {
            "nl": "Uw rugpijn duurt al drie weken of langer. Uw huisarts moet ernaar kijken.",
            "fr": "Votre mal de dos dure depuis trois semaines ou plus. Votre médecin doit"
            " l'examiner.",
            "en": "Your back pain has lasted three weeks or more. Your doctor needs to look at it.",
        },
    ),
    Rule(
        "S-AGE55",
        GP_SOON,
        lambda a: a.age > 55 and a.duration_days >= 14,
        {
            "nl": "U bent ouder dan 55 jaar en uw rugpijn duurt al twee weken of langer. Op die"
            " leeftijd moet uw huisarts de oorzaak nagaan.",
            "fr": "Vous avez plus de 55 ans et votre mal de dos dure depuis deux semaines ou"
            " plus. À cet âge, votre médecin doit en vérifier la cause.",
            "en": "You are over 55 and your back pain has lasted two weeks or more. At this age,"
            " your doctor needs to check the cause.",
        },
    ),
    Rule(
        "S-PAINKILLERS",
        GP_SOON,
        lambda a: a.painkiller_days > 8,
        {
            "nl": "U heeft al meer dan 8 dagen pijnstillers nodig. Overleg met uw huisarts voor u"
            " ermee doorgaat.",
            "fr": "Vous avez besoin d'antidouleurs depuis plus de 8 jours. Parlez-en à votre"
            " médecin avant de continuer.",
            "en": "You have needed painkillers for more than 8 days. Talk to your doctor before"
            " you carry on taking them.",
        },
    ),
    Rule(
        "S-INFLAM",
        GP_SOON,
        lambda a: a.inflammatory_signs,
        {
            "nl": "Uw rug is 's morgens langer dan een half uur stijf, dat wordt beter als u"
            " beweegt, en uw rugpijn begon voor uw 45ste. Dat kan wijzen op een ontsteking van"
            " de gewrichten van de rug (inflammatoire rugpijn); uw huisarts moet u onderzoeken.",
            "fr": "Votre dos est raide le matin pendant plus d'une demi-heure, cela s'améliore"
            " quand vous bougez, et votre mal de dos a commencé avant 45 ans. Cela peut être le"
            " signe d'une inflammation des articulations du dos (lombalgie inflammatoire) ; votre"
            " médecin doit vous examiner.",
            "en": "Your back is stiff for more than half an hour in the morning, it eases when"
            " you move, and your back pain began before you were 45. This can be a sign of"
            " inflammation of the joints of the back (inflammatory back pain), so your doctor"
            " needs to examine you.",
        },
    ),
)

# The table of section 2, in its order. No row matching means PHYSIO.
RULES: Final[tuple[Rule[IntakeAnswers], ...]] = RED_FLAG_RULES + GP_SOON_RULES
_RULES_BY_CODE: Final[Mapping[str, Rule[IntakeAnswers]]] = {rule.code: rule for rule in RULES}


_URGENCY: Final[Mapping[str, int]] = {disposition: i for i, disposition in enumerate(DISPOSITIONS)}


def apply_rules(answers: Answers, rules: Sequence[Rule[Answers]]) -> TriageResult:
    """Evaluate ``rules`` on validated answers: most urgent disposition, all codes."""
    codes: list[str] = []
    urgency = _URGENCY[PHYSIO]
    for rule in rules:
        if rule.condition(answers):
            codes.append(rule.code)
            urgency = min(urgency, _URGENCY[rule.disposition])
    return TriageResult(DISPOSITIONS[urgency], tuple(codes))


def triage(answers: Mapping[str, object]) -> TriageResult:
    """Triage intake answers (section 1) with the rule table (section 2).

    Raises ``TriageInputError`` (a ValueError) naming every bad field.
    """
    return triage_validated(validate_answers(answers))


def triage_validated(answers: IntakeAnswers) -> TriageResult:
    """Triage answers already checked by ``validate_answers`` (S-rules only when no doctor
    has seen this episode)."""
    rules = RED_FLAG_RULES if answers.seen_by_doctor else RULES
    return apply_rules(answers, rules)


def reason_text(code: str, language: str) -> str:
    """Patient-facing explanation of a rule code in ``language`` (nl, fr or en)."""
    if code not in _RULES_BY_CODE:
        raise ValueError(f"unknown rule code {code!r}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    return _RULES_BY_CODE[code].reason[language]
