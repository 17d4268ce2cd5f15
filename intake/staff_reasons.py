"""Triage reasons in staff wording: short and clinical, one per line on staff lists.

The patient's explanation of each rule (``triage.reason_text``) is written for the
patient ("You have numbness around your buttocks..."); reception, physiotherapists and
coordinators read the finding instead. One entry per rule code of clinical-rules.md
section 2 (``tests/test_staff_reasons.py`` checks every code the triage engine knows).
"""

from typing import Final

STAFF_REASONS: Final[dict[str, dict[str, str]]] = {
    "E-SADDLE": {
        "nl": "Zadelanesthesie",
        "fr": "Anesthésie en selle",
        "en": "Saddle anaesthesia",
    },
    "E-BLADDER": {
        "nl": "Nieuwe blaas- of darmstoornis",
        "fr": "Trouble vésical ou intestinal récent",
        "en": "New bladder or bowel dysfunction",
    },
    "E-ERECTILE": {
        "nl": "Nieuwe erectiestoornis",
        "fr": "Trouble érectile récent",
        "en": "New erectile dysfunction",
    },
    "E-WEAKNESS": {
        "nl": "Krachtverlies been",
        "fr": "Déficit moteur de la jambe",
        "en": "Leg weakness (motor deficit)",
    },
    "E-NUMB-BOTH": {
        "nl": "Sensibiliteitsstoornis beide benen",
        "fr": "Troubles sensitifs des deux jambes",
        "en": "Sensory symptoms in both legs",
    },
    "E-TRAUMA": {
        "nl": "Recent trauma (ongeval of val)",
        "fr": "Traumatisme récent (accident ou chute)",
        "en": "Recent trauma (accident or fall)",
    },
    "E-FEVER": {
        "nl": "Koorts of koude rillingen",
        "fr": "Fièvre ou frissons",
        "en": "Fever or chills",
    },
    "U-WEIGHT": {
        "nl": "Onverklaard gewichtsverlies",
        "fr": "Perte de poids inexpliquée",
        "en": "Unexplained weight loss",
    },
    "U-CANCER": {
        "nl": "Voorgeschiedenis van kanker",
        "fr": "Antécédent de cancer",
        "en": "History of cancer",
    },
    "U-NIGHT": {
        "nl": "Nachtelijke pijn, niet rustafhankelijk",
        "fr": "Douleur nocturne non soulagée par le repos",
        "en": "Night pain not eased by rest",
    },
    "U-UNWELL": {
        "nl": "Algemeen ziek gevoel",
        "fr": "Altération de l'état général",
        "en": "Generally unwell",
    },
    "U-CHILD": {
        "nl": "Jonger dan 18 jaar",
        "fr": "Moins de 18 ans",
        "en": "Under 18",
    },
    "U-IMMUNE": {
        "nl": "Immunosuppressie of intraveneus druggebruik",
        "fr": "Immunosuppression ou drogue par voie intraveineuse",
        "en": "Immunosuppression or IV drug use",
    },
    "U-FRACTURE": {
        "nl": "Osteoporose of langdurig corticoïden",
        "fr": "Ostéoporose ou corticoïdes au long cours",
        "en": "Osteoporosis or long-term steroids",
    },
    "U-BILATERAL": {
        "nl": "Uitstraling naar beide benen",
        "fr": "Irradiation dans les deux jambes",
        "en": "Pain radiating to both legs",
    },
    "S-RADICULAR": {
        "nl": "Radiculaire klachten (onder de knie of eenzijdige gevoelsstoornis)",
        "fr": "Signes radiculaires (sous le genou ou troubles sensitifs unilatéraux)",
        "en": "Radicular signs (below the knee or one-sided sensory symptoms)",
    },
    "S-DURATION": {
        "nl": "Klachten ≥ 3 weken",
        "fr": "Symptômes ≥ 3 semaines",
        "en": "Symptoms ≥ 3 weeks",
    },
    "S-AGE55": {
        "nl": "Ouder dan 55, klachten ≥ 2 weken",
        "fr": "Plus de 55 ans, symptômes ≥ 2 semaines",
        "en": "Over 55, symptoms ≥ 2 weeks",
    },
    "S-PAINKILLERS": {
        "nl": "Pijnstillers > 8 dagen",
        "fr": "Antalgiques > 8 jours",
        "en": "Painkillers > 8 days",
    },
    "S-INFLAM": {
        "nl": "Inflammatoire kenmerken",
        "fr": "Signes inflammatoires",
        "en": "Inflammatory features",
    },
    # The follow-up outcome's criteria (clinical-rules.md section 4).
    "PAIN-GE-4": {"nl": "Pijn ≥ 4/10", "fr": "Douleur ≥ 4/10", "en": "Pain ≥ 4/10"},
    "ODI-GE-30": {"nl": "ODI ≥ 30 %", "fr": "ODI ≥ 30 %", "en": "ODI ≥ 30%"},
    "NOT-BETTER": {
        "nl": "Niet verbeterd (zelfde of slechter)",
        "fr": "Pas d'amélioration (pareil ou pire)",
        "en": "Not better (same or worse)",
    },
    "SECOND-FOLLOW-UP-PAIN": {
        "nl": "Nog pijn bij tweede opvolging",
        "fr": "Encore des douleurs au deuxième suivi",
        "en": "Still in pain at the second follow-up",
    },
    "LOW-PAIN-BETTER": {
        "nl": "Weinig pijn en verbeterd",
        "fr": "Peu de douleur et amélioré",
        "en": "Little pain and better",
    },
    "NO-BACK-PAIN": {"nl": "Geen rugpijn meer", "fr": "Plus de mal de dos", "en": "No back pain"},
    "PAIN-MIC": {
        "nl": "Pijn klinisch relevant gedaald (MIC)",
        "fr": "Douleur diminuée de façon cliniquement pertinente (MIC)",
        "en": "Pain improved by the MIC",
    },
    "IMPROVING": {"nl": "Verbetert", "fr": "En amélioration", "en": "Improving"},
    "CHECK-ANSWERS": {
        "nl": "Antwoorden nakijken",
        "fr": "Réponses à vérifier",
        "en": "Check the answers",
    },
}


def staff_reason_text(code: str, language: str) -> str:
    """The finding behind rule ``code`` for staff, in ``language`` (nl, fr or en); an
    unknown code is shown as itself rather than hidden."""
    texts = STAFF_REASONS.get(code)
    if texts is None:
        return code
    return texts.get(language) or texts["nl"]
