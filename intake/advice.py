"""What patients read about their back pain: the warning signs, the leaflet advice and the
next step per triage result (clinical-rules.md section 7), in Dutch, French and English.

This is the one source of these texts. Every page, e-mail, advice sheet and handout gets
them from here, through ``patient_advice`` or, in templates, the ``warning_signs`` tag of
``intake_tags`` and the partials ``_warning_signs.html`` / ``emails/_warning_signs.*``.
The texts are data, not gettext messages: a page for staff shows the patient's text in
the patient's language, whatever language the staff member reads.

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("nl", "fr", "en")
DEFAULT_LANGUAGE: Final = "nl"

EMERGENCY: Final = "EMERGENCY"
GP_URGENT: Final = "GP_URGENT"
GP_SOON: Final = "GP_SOON"
PHYSIO: Final = "PHYSIO"

Text = Mapping[str, str]


@dataclass(frozen=True)
class Sign:
    """One warning sign: the rule code(s) it stands for and the patient's words."""

    codes: tuple[str, ...]
    text: Text


# Go to the emergency department now: one sign per E-rule, in the rule table's order.
EMERGENCY_SIGNS: Final[tuple[Sign, ...]] = (
    Sign(
        ("E-SADDLE",),
        {
            "nl": "een veranderd of verdwenen gevoel rond uw billen, anus of geslachtsdelen"
            " (rijbroekanesthesie)",
            "fr": "une sensibilité modifiée ou disparue autour des fesses, de l'anus ou des"
            " parties génitales (anesthésie en selle)",
            "en": "changed or lost feeling around your buttocks, anus or genitals"
            " (saddle anaesthesia)",
        },
    ),
    Sign(
        ("E-BLADDER",),
        {
            "nl": "moeite met plassen of stoelgang, of urine of stoelgang niet kunnen ophouden",
            "fr": "des difficultés pour uriner ou aller à selle, ou ne plus pouvoir retenir"
            " l'urine ou les selles",
            "en": "trouble passing urine or stools, or not being able to hold them",
        },
    ),
    Sign(
        ("E-ERECTILE",),
        {
            "nl": "nieuwe erectieproblemen",
            "fr": "de nouveaux problèmes d'érection",
            "en": "new problems getting an erection",
        },
    ),
    Sign(
        ("E-WEAKNESS",),
        {
            "nl": "minder kracht in een voet of been, ook als de pijn minder wordt: u kunt uw"
            " voet niet optillen, niet op uw hielen of tenen staan, of uw knie begeeft het",
            "fr": "une perte de force dans un pied ou une jambe, même si la douleur diminue :"
            " vous ne pouvez plus relever le pied, tenir sur les talons ou la pointe des pieds,"
            " ou votre genou lâche",
            "en": "weakness in a foot or leg, even if the pain is less: you cannot lift your"
            " foot, cannot stand on your heels or toes, or your knee gives way",
        },
    ),
    Sign(
        ("E-NUMB-BOTH",),
        {
            "nl": "tintelingen, een branderig of verdoofd gevoel in beide benen of voeten",
            "fr": "des fourmillements, des brûlures ou un engourdissement dans les deux jambes"
            " ou les deux pieds",
            "en": "tingling, burning or numbness in both legs or feet",
        },
    ),
    Sign(
        ("E-TRAUMA",),
        {
            "nl": "rugpijn na een ongeval of een val",
            "fr": "un mal de dos après un accident ou une chute",
            "en": "back pain after an accident or a fall",
        },
    ),
    Sign(
        ("E-FEVER",),
        {
            "nl": "rugpijn met koorts of koude rillingen",
            "fr": "un mal de dos avec de la fièvre ou des frissons",
            "en": "back pain with a fever or chills",
        },
    ),
)

# See your GP: the GP_URGENT and GP_SOON rules, in words a patient can check themselves.
GP_SIGNS: Final[tuple[Sign, ...]] = (
    Sign(
        ("U-WEIGHT",),
        {
            "nl": "u vermagert zonder dat u weet waarom",
            "fr": "vous perdez du poids sans savoir pourquoi",
            "en": "you lose weight without knowing why",
        },
    ),
    Sign(
        ("U-NIGHT",),
        {
            "nl": "u heeft 's nachts veel pijn, ook als u rust",
            "fr": "vous avez très mal la nuit, même au repos",
            "en": "you have severe pain at night, even when you rest",
        },
    ),
    Sign(
        ("U-UNWELL",),
        {
            "nl": "u voelt zich ziek of algemeen niet goed",
            "fr": "vous vous sentez malade ou pas bien en général",
            "en": "you feel ill or generally unwell",
        },
    ),
    Sign(
        ("U-BILATERAL", "S-RADICULAR"),
        {
            "nl": "de pijn trekt naar beide benen of tot onder de knie",
            "fr": "la douleur descend dans les deux jambes ou sous le genou",
            "en": "the pain goes into both legs or below the knee",
        },
    ),
    Sign(
        ("S-DURATION", "S-AGE55"),
        {
            "nl": "de pijn is er na twee tot drie weken nog (als u ouder bent dan 55 jaar: na"
            " twee weken)",
            "fr": "la douleur est toujours là après deux à trois semaines (si vous avez plus de"
            " 55 ans : après deux semaines)",
            "en": "the pain is still there after two to three weeks (if you are over 55:"
            " after two weeks)",
        },
    ),
    Sign(
        ("S-PAINKILLERS",),
        {
            "nl": "u heeft langer dan 8 dagen pijnstillers nodig",
            "fr": "vous avez besoin d'antidouleurs pendant plus de 8 jours",
            "en": "you need painkillers for more than 8 days",
        },
    ),
    Sign(
        ("U-CHILD",),
        {
            "nl": "een kind of jongere onder 18 jaar heeft rugpijn",
            "fr": "un enfant ou un jeune de moins de 18 ans a mal au dos",
            "en": "a child or young person under 18 has back pain",
        },
    ),
)

EMERGENCY_INTRO: Final[Text] = {
    "nl": "Ga meteen naar de spoedgevallendienst als u dit opmerkt:",
    "fr": "Allez tout de suite aux urgences si vous remarquez ceci :",
    "en": "Go to the emergency department straight away if you notice any of this:",
}
GP_INTRO: Final[Text] = {
    "nl": "Maak een afspraak bij uw huisarts als:",
    "fr": "Prenez rendez-vous chez votre médecin généraliste si :",
    "en": "Make an appointment with your GP if:",
}

# The first thing to do, per triage result.
ACTION: Final[Mapping[str, Text]] = {
    EMERGENCY: {
        "nl": "Ga nu naar de spoedgevallendienst. Rij niet zelf: laat u brengen of bel 112.",
        "fr": "Allez maintenant aux urgences. Ne conduisez pas vous-même : faites-vous"
        " conduire ou appelez le 112.",
        "en": "Go to the emergency department now. Do not drive yourself: ask someone to take"
        " you, or call 112.",
    },
    GP_URGENT: {
        "nl": "Ga vandaag of morgen naar uw huisarts. Buiten de openingsuren belt u de"
        " huisarts van wacht op 1733.",
        "fr": "Consultez votre médecin généraliste aujourd'hui ou demain. En dehors des heures"
        " de consultation, appelez le médecin de garde au 1733.",
        "en": "See your GP today or tomorrow. Outside surgery hours, call the GP on duty on 1733.",
    },
    GP_SOON: {
        "nl": "Ga deze week naar uw huisarts.",
        "fr": "Consultez votre médecin généraliste cette semaine.",
        "en": "See your GP this week.",
    },
    PHYSIO: {
        "nl": "Start het kinesitherapietraject: een kinesitherapeut begeleidt u met oefeningen.",
        "fr": "Commencez le parcours de kinésithérapie : un kinésithérapeute vous accompagne"
        " avec des exercices.",
        "en": "Start the physiotherapy pathway: a physiotherapist will guide you with exercises.",
    },
}

# The leaflets' advice for acute low back pain, in the leaflets' order of importance.
LEAFLET_ADVICE: Final[tuple[Text, ...]] = (
    {
        "nl": "Rugpijn gaat meestal vanzelf beter binnen enkele dagen tot een week. De kans op"
        " herstel is groot.",
        "fr": "Le mal de dos s'améliore le plus souvent tout seul en quelques jours à une"
        " semaine. Les chances de guérison sont grandes.",
        "en": "Back pain usually gets better by itself within a few days to a week. The chance"
        " of recovery is high.",
    },
    {
        "nl": "Blijf actief binnen uw pijngrens. Geen enkele houding of beweging is verboden.",
        "fr": "Restez actif dans la limite de votre douleur. Aucune position ni activité n'est"
        " interdite.",
        "en": "Stay active within your pain limit. No position or activity is forbidden.",
    },
    {
        "nl": "Wandel en verander vaak van houding.",
        "fr": "Marchez et changez souvent de position.",
        "en": "Walk and change position often.",
    },
    {
        "nl": "Heeft u een slecht moment? Ga dan even op uw rug liggen met heupen en knieën in"
        " een hoek van 90 graden, bijvoorbeeld met uw onderbenen op een stoel.",
        "fr": "Dans un mauvais moment, allongez-vous un peu sur le dos, hanches et genoux pliés"
        " à 90 degrés, par exemple les mollets posés sur une chaise.",
        "en": "In a bad spell, lie on your back for a short while with your hips and knees at"
        " 90 degrees, for example with your lower legs on a chair.",
    },
    {
        "nl": "Blijf niet lang in bed liggen en draag geen korset.",
        "fr": "Ne restez pas longtemps au lit et ne portez pas de corset.",
        "en": "Do not stay in bed for long and do not wear a corset.",
    },
    {
        "nl": "Vermijd lang zitten, voorovergebogen staan, hurken en draaien met uw rug.",
        "fr": "Évitez de rester longtemps assis, de vous tenir penché en avant, de vous"
        " accroupir et de tourner le dos.",
        "en": "Avoid sitting for long, standing bent forward, squatting and twisting your back.",
    },
    {
        "nl": "Draag platte schoenen.",
        "fr": "Portez des chaussures plates.",
        "en": "Wear flat shoes.",
    },
    {
        "nl": "Warmte op de onderrug, zoals een warmwaterkruik of een warme douche, kan de pijn"
        " verzachten.",
        "fr": "La chaleur sur le bas du dos, par exemple une bouillotte ou une douche chaude,"
        " peut soulager la douleur.",
        "en": "Warmth on your lower back, such as a hot-water bottle or a warm shower, can ease"
        " the pain.",
    },
    {
        "nl": "Stress kan de pijn erger maken: neem tijd om te ontspannen. Voelt u zich somber"
        " of maakt u zich zorgen? Praat erover met uw huisarts.",
        "fr": "Le stress peut aggraver la douleur : prenez le temps de vous détendre. Vous vous"
        " sentez déprimé ou inquiet ? Parlez-en à votre médecin généraliste.",
        "en": "Stress can make the pain worse: take time to relax. Feeling low or worried?"
        " Talk to your GP.",
    },
    {
        "nl": "Neem pijnstillers alleen na overleg met een arts of apotheker.",
        "fr": "Ne prenez des antidouleurs qu'après en avoir parlé à un médecin ou à un pharmacien.",
        "en": "Only take painkillers after talking to a doctor or pharmacist.",
    },
    {
        "nl": "Hervat uw dagelijkse bezigheden en uw werk zo snel als u kunt.",
        "fr": "Reprenez vos activités quotidiennes et votre travail dès que vous le pouvez.",
        "en": "Go back to your daily activities and to work as soon as you can.",
    },
)

# Still back pain after six weeks: the way to the pain clinic. ``{campuses}`` lists the
# campuses with their phone numbers (the campus table is data an admin edits).
PAIN_CLINIC: Final[Text] = {
    "nl": "Heeft u na 6 weken nog rugpijn? Vraag dan uw huisarts om een verwijzing naar de"
    " pijnkliniek. Een afspraak maakt u bij {campuses}.",
    "fr": "Vous avez encore mal au dos après 6 semaines ? Demandez alors à votre médecin"
    " généraliste de vous orienter vers la clinique de la douleur. Vous prenez rendez-vous"
    " à {campuses}.",
    "en": "Still back pain after 6 weeks? Ask your GP for a referral to the pain clinic."
    " You make the appointment at {campuses}.",
}
OR: Final[Text] = {"nl": "of", "fr": "ou", "en": "or"}
# The pain clinic's campuses of clinical-rules.md section 5, used when no campus table
# is at hand (a pure test, a fresh database).
DEFAULT_CAMPUSES: Final[tuple[tuple[str, str], ...]] = (
    ("Bornem", "03 890 59 23"),
    ("Rumst", "03 880 90 11"),
)

STRETCHING_ADVICE: Final[Text] = {
    "nl": "Doe de rekoefeningen vanaf het begin, elke oefening 5 tot 10 keer na elkaar,"
    " 's morgens en 's avonds.",
    "fr": "Faites les exercices d'étirement dès le début, chaque exercice 5 à 10 fois de"
    " suite, le matin et le soir.",
    "en": "Do the stretching exercises from the start, each one 5 to 10 times in a row,"
    " morning and evening.",
}
STRENGTHENING_FROM_WEEK_6: Final[Text] = {
    "nl": "Begin pas met de versterkende oefeningen 6 weken nadat de pijn begon.",
    "fr": "Ne commencez les exercices de renforcement que 6 semaines après le début de la douleur.",
    "en": "Start the strengthening exercises only 6 weeks after the pain began.",
}
STRENGTHENING_FROM_DATE: Final[Text] = {
    "nl": "Versterkende oefeningen mag u doen vanaf {date}.",
    "fr": "Vous pouvez faire les exercices de renforcement à partir du {date}.",
    "en": "You may do the strengthening exercises from {date}.",
}

SELF_CARE_HEADING: Final[Text] = {
    "nl": "Wat u zelf kunt doen",
    "fr": "Ce que vous pouvez faire vous-même",
    "en": "What you can do yourself",
}
EXERCISES_HEADING: Final[Text] = {
    "nl": "Oefeningen",
    "fr": "Exercices",
    "en": "Exercises",
}

ADVICE_TEXTS: Final[tuple[Text, ...]] = (
    *(sign.text for sign in EMERGENCY_SIGNS + GP_SIGNS),
    EMERGENCY_INTRO,
    GP_INTRO,
    *ACTION.values(),
    *LEAFLET_ADVICE,
    PAIN_CLINIC,
    OR,
    STRETCHING_ADVICE,
    STRENGTHENING_FROM_WEEK_6,
    STRENGTHENING_FROM_DATE,
    SELF_CARE_HEADING,
    EXERCISES_HEADING,
)
"""Every text of this module, for the test that each exists in every language."""


def language_or_default(language: str | None) -> str:
    """``language`` when it is one of ``LANGUAGES`` (a region suffix is dropped)."""
    code = (language or "")[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class WarningSigns:
    """The complete warning-sign lists in one language."""

    language: str
    emergency_intro: str
    emergency: tuple[str, ...]
    gp_intro: str
    gp: tuple[str, ...]


def warning_signs(language: str | None) -> WarningSigns:
    language = language_or_default(language)
    return WarningSigns(
        language=language,
        emergency_intro=EMERGENCY_INTRO[language],
        emergency=tuple(sign.text[language] for sign in EMERGENCY_SIGNS),
        gp_intro=GP_INTRO[language],
        gp=tuple(sign.text[language] for sign in GP_SIGNS),
    )


def _campus_list(language: str, campuses: Sequence[tuple[str, str]]) -> str:
    listed = [f"{name} ({phone})" for name, phone in (campuses or DEFAULT_CAMPUSES)]
    if len(listed) == 1:
        return listed[0]
    return f"{', '.join(listed[:-1])} {OR[language]} {listed[-1]}"


def pain_clinic_line(language: str | None, campuses: Sequence[tuple[str, str]] = ()) -> str:
    """'Still back pain after 6 weeks: ...' with each campus's name and phone number."""
    language = language_or_default(language)
    return PAIN_CLINIC[language].format(campuses=_campus_list(language, campuses))


@dataclass(frozen=True)
class PatientAdvice:
    """What a patient reads for one triage result: the next step first, then the
    leaflet's advice, the exercise notes, the way to the pain clinic and the signs."""

    language: str
    disposition: str
    action: str
    paragraphs: tuple[str, ...]
    exercises: tuple[str, ...]
    pain_clinic: str
    signs: WarningSigns
    self_care_heading: str
    exercises_heading: str


def patient_advice(
    disposition: str,
    language: str | None,
    *,
    campuses: Sequence[tuple[str, str]] = (),
    strengthening_from: date | None = None,
    after_follow_up: bool = False,
) -> PatientAdvice:
    """The advice for ``disposition`` in ``language``.

    An emergency gets only the action (the leaflet's self-care would delay it). Every
    other result gets the leaflet's advice and the way to the pain clinic; the
    physiotherapy pathway also gets the exercise notes, with the date from which
    strengthening may start when it is known (``strengthening_from``).
    ``after_follow_up``: the patient has just answered a follow-up, whose own message
    says what comes next, so neither the exercise notes nor the pain-clinic line (which
    would contradict "improving") are added.
    """
    if disposition not in ACTION:
        raise ValueError(f"unknown disposition {disposition!r}")
    language = language_or_default(language)
    emergency = disposition == EMERGENCY
    exercises: tuple[str, ...] = ()
    if disposition == PHYSIO and not after_follow_up:
        strengthening = (
            STRENGTHENING_FROM_DATE[language].format(date=strengthening_from.strftime("%d/%m/%Y"))
            if strengthening_from is not None
            else STRENGTHENING_FROM_WEEK_6[language]
        )
        exercises = (STRETCHING_ADVICE[language], strengthening)
    return PatientAdvice(
        language=language,
        disposition=disposition,
        action=ACTION[disposition][language],
        paragraphs=() if emergency else tuple(text[language] for text in LEAFLET_ADVICE),
        exercises=exercises,
        pain_clinic="" if emergency or after_follow_up else pain_clinic_line(language, campuses),
        signs=warning_signs(language),
        self_care_heading=SELF_CARE_HEADING[language],
        exercises_heading=EXERCISES_HEADING[language],
    )


# --- after the follow-up questionnaire ---------------------------------------------------

RECOVERED: Final = "recovered"
IMPROVING: Final = "improving"
PERSISTENT: Final = "persistent"
RED_FLAG: Final = "red_flag"
CHECK_ANSWERS: Final = "CHECK-ANSWERS"

# What the answers say about the course of the complaint. ``{pain}``: pain now, 0-10.
COURSE: Final[Mapping[str, Text]] = {
    RECOVERED: {
        "nl": "Uit uw antwoorden blijkt dat uw rugpijn zo goed als over is: uw pijn is nu"
        " {pain}/10 en u heeft geen pijnstillers meer nodig.",
        "fr": "Vos réponses montrent que votre mal de dos a presque disparu : votre douleur"
        " est maintenant de {pain}/10 et vous n'avez plus besoin d'antidouleurs.",
        "en": "Your answers show that your back pain has almost gone: your pain is now"
        " {pain}/10 and you no longer need painkillers.",
    },
    IMPROVING: {
        "nl": "Uit uw antwoorden blijkt dat uw rugpijn beter wordt, maar nog niet over is:"
        " uw pijn is nu {pain}/10.",
        "fr": "Vos réponses montrent que votre mal de dos s'améliore, mais n'a pas encore"
        " disparu : votre douleur est maintenant de {pain}/10.",
        "en": "Your answers show that your back pain is getting better, but it has not gone"
        " yet: your pain is now {pain}/10.",
    },
    PERSISTENT: {
        "nl": "Uit uw antwoorden blijkt dat uw rugpijn sinds de intake niet genoeg verbeterd"
        " is: uw pijn is nu {pain}/10.",
        "fr": "Vos réponses montrent que votre mal de dos ne s'est pas assez amélioré depuis"
        " l'accueil : votre douleur est maintenant de {pain}/10.",
        "en": "Your answers show that your back pain has not improved enough since your"
        " intake: your pain is now {pain}/10.",
    },
}
# What happens next, per course, when no warning sign needs a doctor first.
NEXT_STEP: Final[Mapping[str, Text]] = {
    RECOVERED: {
        "nl": "Uw kinesitherapeut stelt voor om uw behandeling af te sluiten. Komt de pijn"
        " terug, volg dan het advies hieronder.",
        "fr": "Votre kinésithérapeute propose de clôturer votre traitement. Si la douleur"
        " revient, suivez les conseils ci-dessous.",
        "en": "Your physiotherapist will propose to close your treatment. If the pain comes"
        " back, follow the advice below.",
    },
    IMPROVING: {
        "nl": "Blijf bewegen en doe uw oefeningen verder. Over zes weken vragen we u opnieuw"
        " hoe het met u gaat.",
        "fr": "Continuez à bouger et à faire vos exercices. Dans six semaines, nous vous"
        " demanderons à nouveau comment vous allez.",
        "en": "Keep moving and keep doing your exercises. In six weeks we will ask you again"
        " how you are doing.",
    },
    "improving_review": {
        "nl": "Blijf bewegen en doe uw oefeningen verder. Uw kinesitherapeut bekijkt uw"
        " antwoorden en neemt contact met u op over wat er nu volgt.",
        "fr": "Continuez à bouger et à faire vos exercices. Votre kinésithérapeute examine"
        " vos réponses et vous contactera pour la suite.",
        "en": "Keep moving and keep doing your exercises. Your physiotherapist will look at"
        " your answers and contact you about what comes next.",
    },
    # One way to the appointment (issue 16): the campus proposes it once the referral is
    # sent; the patient calls only with questions, so nobody books twice.
    PERSISTENT: {
        "nl": "We stellen een verwijzing naar de pijnkliniek voor. Uw kinesitherapeut bereidt"
        " die voor; vraag uw huisarts om de verwijzing. Daarna stelt de pijnkliniek u een"
        " afspraak voor. Vragen? Bel {campuses}.",
        "fr": "Nous proposons de vous orienter vers la clinique de la douleur. Votre"
        " kinésithérapeute la prépare ; demandez l'orientation à votre médecin généraliste."
        " Ensuite, la clinique de la douleur vous proposera un rendez-vous. Des questions ?"
        " Appelez {campuses}.",
        "en": "We propose a referral to the pain clinic. Your physiotherapist prepares it;"
        " ask your GP for the referral. The pain clinic then proposes an appointment to you."
        " Questions? Call {campuses}.",
    },
}
CHECK_ANSWERS_TEXT: Final[Text] = {
    "nl": "Sommige antwoorden passen niet bij elkaar: u antwoordde dat u geen rug- of"
    " beenpijn meer heeft, maar gaf uw pijn {pain}/10. We bellen u om dit na te vragen en"
    " zeggen u dan wat er volgt.",
    "fr": "Certaines réponses ne concordent pas : vous avez répondu ne plus avoir mal au dos"
    " ni à la jambe, mais vous avez noté votre douleur à {pain}/10. Nous vous appellerons"
    " pour le vérifier et vous dirons ensuite la suite.",
    "en": "Some answers do not match: you answered that you no longer have back or leg pain,"
    " but gave your pain as {pain}/10. We will phone you to check and then tell you what"
    " comes next.",
}
AFTER_DOCTOR: Final[Text] = {
    "nl": "Nadat een arts u gezien heeft, zegt uw kinesitherapeut u wat er verder volgt.",
    "fr": "Après qu'un médecin vous aura vu, votre kinésithérapeute vous dira la suite.",
    "en": "Once a doctor has seen you, your physiotherapist will tell you what comes next.",
}
BECAUSE: Final[Text] = {"nl": "Waarom:", "fr": "Pourquoi :", "en": "Why:"}

FOLLOW_UP_TEXTS: Final[tuple[Text, ...]] = (
    *COURSE.values(),
    *NEXT_STEP.values(),
    CHECK_ANSWERS_TEXT,
    AFTER_DOCTOR,
    BECAUSE,
)
"""The follow-up texts, for the test that each exists in every language."""


@dataclass(frozen=True)
class FollowUpMessage:
    """What a patient reads after answering a follow-up, in this order: the doctor to see
    (``action``, with ``reasons``), what the answers say about the course, the next step,
    then ``advice`` (the leaflet's advice and the complete warning signs)."""

    language: str
    action: str
    because: str
    reasons: tuple[str, ...]
    course: str
    next_step: str
    advice: PatientAdvice


def follow_up_message(
    *,
    state: str,
    course: str | None,
    disposition: str | None,
    reasons: Sequence[str],
    reason_texts: Sequence[str],
    pain_now: int,
    follow_up_number: int,
    language: str | None,
    campuses: Sequence[tuple[str, str]] = (),
) -> FollowUpMessage:
    """The thank-you message for one answered follow-up (clinical-rules.md sections 4, 7).

    ``state``/``course``/``disposition``/``reasons`` are the stored outcome;
    ``reason_texts`` the patient's words for the warning-sign codes among ``reasons``.
    A warning sign puts the doctor first; a GP_SOON sign (S-codes) adds "see your GP this
    week" without changing the course. Contradictory answers (``CHECK-ANSWERS``) promise a
    phone call instead of a next step, so that nothing said now is taken back later.
    """
    language = language_or_default(language)
    if course is None and state != RED_FLAG:
        course = state
    action = (
        ACTION[disposition][language] if disposition is not None and disposition in ACTION else ""
    )
    course_text = (
        COURSE[course][language].format(pain=pain_now)
        if course is not None and course in COURSE
        else ""
    )
    if CHECK_ANSWERS in reasons:
        next_step = CHECK_ANSWERS_TEXT[language].format(pain=pain_now)
    elif state == RED_FLAG:
        next_step = AFTER_DOCTOR[language]
    elif course == IMPROVING and follow_up_number >= 2:
        next_step = NEXT_STEP["improving_review"][language]
    elif course is not None and course in NEXT_STEP:
        next_step = NEXT_STEP[course][language].format(campuses=_campus_list(language, campuses))
    else:
        next_step = ""
    return FollowUpMessage(
        language=language,
        action=action,
        because=BECAUSE[language] if reason_texts and action else "",
        reasons=tuple(reason_texts) if action else (),
        course=course_text,
        next_step=next_step,
        advice=patient_advice(
            disposition or PHYSIO, language, campuses=campuses, after_follow_up=True
        ),
    )
