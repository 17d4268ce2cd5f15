"""The answer texts of the Oswestry Disability Index (clinical-rules.md section 3).

The validated ODI statements are licensed text. Backpath ships its own short
description of each of the six levels (0-5) of each of the ten sections, in Dutch,
French and English (``PROJECT_TEXT``). A clinic that holds a licence can load the
validated text from a JSON data file (``load_file``; see docs/patient-texts.md for the
format and the ``BACKPATH_ODI_TEXT_FILE`` setting). Scoring is the same whichever text
is shown: a level is a number from 0 to 5.

Pure module: no Django, stdlib only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("nl", "fr", "en")
SECTIONS: Final[tuple[str, ...]] = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
)
LEVELS: Final = 6
PROJECT: Final = "project"
LICENSED: Final = "licensed"

Levels = tuple[str, str, str, str, str, str]

_PROJECT: Final[Mapping[str, Mapping[str, Levels]]] = {
    "en": {
        "pain_intensity": (
            "no pain at the moment",
            "very mild pain",
            "moderate pain",
            "fairly severe pain",
            "very severe pain",
            "the worst pain I can imagine",
        ),
        "personal_care": (
            "on my own, without extra pain",
            "on my own, but it hurts",
            "slowly and carefully because of the pain",
            "mostly on my own, with some help",
            "help with most of it, every day",
            "not possible: I stay in bed",
        ),
        "lifting": (
            "heavy things, without extra pain",
            "heavy things, but with extra pain",
            "heavy things only from table height, not from the floor",
            "light to medium things from table height",
            "only very light things",
            "nothing at all",
        ),
        "walking": (
            "as far as I like",
            "not more than about 1.5 km",
            "not more than about 500 metres",
            "not more than about 100 metres",
            "only with a stick or crutches",
            "mostly in bed",
        ),
        "sitting": (
            "on any chair, as long as I like",
            "only on my own chair, as long as I like",
            "not longer than 1 hour",
            "not longer than half an hour",
            "not longer than 10 minutes",
            "not at all",
        ),
        "standing": (
            "as long as I like, without extra pain",
            "as long as I like, with extra pain",
            "not longer than 1 hour",
            "not longer than half an hour",
            "not longer than 10 minutes",
            "not at all",
        ),
        "sleeping": (
            "the pain never wakes me",
            "the pain sometimes wakes me",
            "less than 6 hours of sleep",
            "less than 4 hours of sleep",
            "less than 2 hours of sleep",
            "no sleep because of the pain",
        ),
        "sex_life": (
            "normal, without extra pain",
            "normal, with some extra pain",
            "nearly normal, but very painful",
            "much less because of the pain",
            "hardly any because of the pain",
            "none because of the pain",
        ),
        "social_life": (
            "normal, without extra pain",
            "normal, but with more pain",
            "only sport, dancing and the like are limited",
            "limited: I go out less often",
            "only at home",
            "none because of the pain",
        ),
        "travelling": (
            "anywhere, without pain",
            "anywhere, with extra pain",
            "trips of over 2 hours, despite the pain",
            "only trips of less than 1 hour",
            "only short, necessary trips of less than 30 minutes",
            "only to the doctor or the hospital",
        ),
    },
    "nl": {
        "pain_intensity": (
            "nu geen pijn",
            "heel lichte pijn",
            "matige pijn",
            "vrij hevige pijn",
            "zeer hevige pijn",
            "de ergste pijn die ik me kan voorstellen",
        ),
        "personal_care": (
            "alleen, zonder extra pijn",
            "alleen, maar het doet pijn",
            "traag en voorzichtig door de pijn",
            "meestal alleen, met wat hulp",
            "elke dag hulp bij het meeste",
            "niet mogelijk: ik blijf in bed",
        ),
        "lifting": (
            "zware dingen, zonder extra pijn",
            "zware dingen, maar met extra pijn",
            "zware dingen alleen van tafelhoogte, niet van de grond",
            "lichte tot middelzware dingen van tafelhoogte",
            "alleen heel lichte dingen",
            "helemaal niets",
        ),
        "walking": (
            "zo ver als ik wil",
            "niet meer dan ongeveer 1,5 km",
            "niet meer dan ongeveer 500 meter",
            "niet meer dan ongeveer 100 meter",
            "alleen met een wandelstok of krukken",
            "meestal in bed",
        ),
        "sitting": (
            "op elke stoel, zo lang als ik wil",
            "alleen op mijn eigen stoel, zo lang als ik wil",
            "niet langer dan 1 uur",
            "niet langer dan een half uur",
            "niet langer dan 10 minuten",
            "helemaal niet",
        ),
        "standing": (
            "zo lang als ik wil, zonder extra pijn",
            "zo lang als ik wil, met extra pijn",
            "niet langer dan 1 uur",
            "niet langer dan een half uur",
            "niet langer dan 10 minuten",
            "helemaal niet",
        ),
        "sleeping": (
            "de pijn maakt me nooit wakker",
            "de pijn maakt me soms wakker",
            "minder dan 6 uur slaap",
            "minder dan 4 uur slaap",
            "minder dan 2 uur slaap",
            "geen slaap door de pijn",
        ),
        "sex_life": (
            "normaal, zonder extra pijn",
            "normaal, met wat extra pijn",
            "bijna normaal, maar erg pijnlijk",
            "veel minder door de pijn",
            "bijna niet meer door de pijn",
            "helemaal niet door de pijn",
        ),
        "social_life": (
            "normaal, zonder extra pijn",
            "normaal, maar met meer pijn",
            "alleen sport, dansen en dergelijke lukken minder",
            "beperkt: ik ga minder vaak uit",
            "alleen nog thuis",
            "geen door de pijn",
        ),
        "travelling": (
            "overal naartoe, zonder pijn",
            "overal naartoe, met extra pijn",
            "reizen van meer dan 2 uur, ondanks de pijn",
            "alleen reizen van minder dan 1 uur",
            "alleen korte, nodige ritten van minder dan 30 minuten",
            "alleen naar de dokter of het ziekenhuis",
        ),
    },
    "fr": {
        "pain_intensity": (
            "pas de douleur en ce moment",
            "douleur très légère",
            "douleur modérée",
            "douleur assez forte",
            "douleur très forte",
            "la pire douleur que je puisse imaginer",
        ),
        "personal_care": (
            "seul, sans douleur en plus",
            "seul, mais cela fait mal",
            "lentement et prudemment à cause de la douleur",
            "surtout seul, avec un peu d'aide",
            "de l'aide pour presque tout, chaque jour",
            "impossible : je reste au lit",
        ),
        "lifting": (
            "des charges lourdes, sans douleur en plus",
            "des charges lourdes, mais avec plus de douleur",
            "des charges lourdes seulement à hauteur de table, pas du sol",
            "des charges légères à moyennes à hauteur de table",
            "seulement des charges très légères",
            "rien du tout",
        ),
        "walking": (
            "aussi loin que je veux",
            "pas plus d'environ 1,5 km",
            "pas plus d'environ 500 mètres",
            "pas plus d'environ 100 mètres",
            "seulement avec une canne ou des béquilles",
            "surtout au lit",
        ),
        "sitting": (
            "sur n'importe quelle chaise, aussi longtemps que je veux",
            "seulement sur ma propre chaise, aussi longtemps que je veux",
            "pas plus d'1 heure",
            "pas plus d'une demi-heure",
            "pas plus de 10 minutes",
            "pas du tout",
        ),
        "standing": (
            "aussi longtemps que je veux, sans douleur en plus",
            "aussi longtemps que je veux, avec plus de douleur",
            "pas plus d'1 heure",
            "pas plus d'une demi-heure",
            "pas plus de 10 minutes",
            "pas du tout",
        ),
        "sleeping": (
            "la douleur ne me réveille jamais",
            "la douleur me réveille parfois",
            "moins de 6 heures de sommeil",
            "moins de 4 heures de sommeil",
            "moins de 2 heures de sommeil",
            "pas de sommeil à cause de la douleur",
        ),
        "sex_life": (
            "normale, sans douleur en plus",
            "normale, avec un peu plus de douleur",
            "presque normale, mais très douloureuse",
            "bien moins à cause de la douleur",
            "presque plus à cause de la douleur",
            "plus du tout à cause de la douleur",
        ),
        "social_life": (
            "normale, sans douleur en plus",
            "normale, mais avec plus de douleur",
            "seuls le sport, la danse et autres sont limités",
            "limitée : je sors moins souvent",
            "seulement à la maison",
            "aucune à cause de la douleur",
        ),
        "travelling": (
            "partout, sans douleur",
            "partout, avec plus de douleur",
            "des trajets de plus de 2 heures, malgré la douleur",
            "seulement des trajets de moins d'1 heure",
            "seulement de courts trajets nécessaires de moins de 30 minutes",
            "seulement chez le médecin ou à l'hôpital",
        ),
    },
}


@dataclass(frozen=True)
class OdiText:
    """The answer texts in use: ``source`` is ``project`` or ``licensed``; ``name`` says
    which text it is (for a licensed text, the name and licence from the data file)."""

    source: str
    name: str
    levels: Mapping[str, Mapping[str, Levels]]

    def level(self, section: str, level: int, language: str) -> str:
        return self.levels[language if language in LANGUAGES else "nl"][section][level]


PROJECT_TEXT: Final = OdiText(PROJECT, "Backpath", _PROJECT)


class OdiTextError(ValueError):
    """A data file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("ODI text file: " + "; ".join(problems))


def parse(data: object) -> OdiText:
    """Check a licensed-text document (see docs/patient-texts.md) and return its text.

    ``{"name": "...", "texts": {"nl": {"pain_intensity": [6 statements], ...}, ...}}``:
    all three languages, all ten sections, six non-empty statements each.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise OdiTextError(["the file must hold one JSON object"])
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("'name' must say which text this is (and its licence)")
    texts = data.get("texts")
    if not isinstance(texts, dict):
        raise OdiTextError([*problems, "'texts' must map each language to its sections"])
    levels: dict[str, dict[str, Levels]] = {}
    for language in LANGUAGES:
        sections = texts.get(language)
        if not isinstance(sections, dict):
            problems.append(f"{language}: missing")
            continue
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            problems.append(f"{language}: unknown sections {', '.join(unknown)}")
        levels[language] = {}
        for section in SECTIONS:
            statements = sections.get(section)
            if (
                not isinstance(statements, list)
                or len(statements) != LEVELS
                or not all(isinstance(s, str) and s.strip() for s in statements)
            ):
                problems.append(f"{language}.{section}: needs {LEVELS} non-empty statements")
                continue
            levels[language][section] = tuple(s.strip() for s in statements)
    if problems:
        raise OdiTextError(problems)
    return OdiText(LICENSED, str(name).strip(), levels)


def load_file(path: str | Path) -> OdiText:
    """Read and check a licensed-text JSON file; raises ``OdiTextError``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise OdiTextError([f"cannot read {path}: {exc.strerror}"]) from exc
    except ValueError as exc:
        raise OdiTextError([f"{path} is not valid JSON: {exc}"]) from exc
    return parse(data)
