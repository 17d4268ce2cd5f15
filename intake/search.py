"""Parse what reception types in the patient search box."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date


def fold(text: str) -> str:
    """Lower-case, accents stripped, spaces collapsed: 'Dé  Smet' -> 'de smet'.

    Names are stored folded beside the typed form, so search and the duplicate
    check are accent- and case-insensitive on any database with a plain index.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_INSZ = re.compile(r"^\d{11}$")


@dataclass(frozen=True)
class SearchQuery:
    insz: str | None = None
    birth_date: date | None = None
    name: str = ""


def parse_query(query: str) -> SearchQuery:
    """'85.07.30-033.28' -> INSZ; 'peeters 30/07/1985' -> name prefix + birth date."""
    text = query.strip()
    digits = re.sub(r"[\s.\-/]", "", text)
    if _INSZ.match(digits):
        return SearchQuery(insz=digits)
    birth_date = None
    match = _DATE.search(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            birth_date = date(year, month, day)
        except ValueError:
            birth_date = None
        text = text[: match.start()] + text[match.end() :]
    return SearchQuery(birth_date=birth_date, name=fold(text))


def search_kind(query: str) -> str:
    """What a patient search was for, without what was typed: "insz", "name+birth_date"..."""
    parsed = parse_query(query)
    if parsed.insz:
        return "insz"
    kinds = (("name", parsed.name), ("birth_date", parsed.birth_date))
    return "+".join(kind for kind, value in kinds if value) or "other"
