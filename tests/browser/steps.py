"""What people do on the pages, as Playwright steps shared by the browser tests.

Questions and answers are found by their accessible names (a radio question is a
``fieldset`` whose ``legend`` is the question), taken from the forms' own labels in the
page's language, so a reworded label or a new translation does not break the tests.
"""

import re
from base64 import b32decode
from datetime import date
from typing import Any

from django import forms
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from intake import scores
from intake.forms import (
    ODI_LABELS,
    RED_FLAG_LABELS,
    START_BACK_LABELS,
    IntakeForm,
)


def text(value: Any, language: str = "en") -> str:
    """A label (a lazy translation or a msgid) as the page shows it in ``language``."""
    with translation.override(language):
        return translation.gettext(value) if isinstance(value, str) else str(value)


def insz(birth: date, serial: int = 123, *, wrong: bool = False) -> str:
    """A Belgian national number for someone born in the 1900s, typed with dots and a
    dash as on the eID card; ``wrong`` gives it wrong check digits."""
    base = f"{birth:%y%m%d}{serial:03d}"
    check = 97 - int(base) % 97
    if wrong:
        check = check % 97 + 1
    digits = f"{base}{check:02d}"
    return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:]}"


def field(scope: Page | Locator, label: Any, language: str = "en") -> Locator:
    """The input labelled ``label`` (required fields' labels end in an asterisk)."""
    name = re.escape(text(label, language).strip())
    return scope.get_by_label(re.compile(rf"^\s*{name}\s*\*?\s*$"))


def question(scope: Page | Locator, label: Any, language: str = "en") -> Locator:
    return scope.get_by_role("group", name=text(label, language))


def choose(scope: Page | Locator, label: Any, answer: Any, language: str = "en") -> None:
    """Tick ``answer`` in the radio question ``label`` (both as the form has them)."""
    option = question(scope, label, language).get_by_role(
        "radio", name=text(answer, language), exact=True
    )
    option.check()


def choice_label(field: forms.Field, value: Any) -> Any:
    return dict(field.choices)[value]  # type: ignore[attr-defined]


def fill_intake(
    page: Page,
    *,
    red_flags: tuple[str, ...] = (),
    pain: int = 5,
    duration_days: int = 5,
    bothersomeness: str = "slightly",
    submit: str = "Save intake and show the result",
    sex: str = "F",
) -> None:
    """Fill the four steps of the intake with the mouse and send it with ``submit`` (a
    patient registered as ``sex``: only men are asked about erections)."""
    fields = IntakeForm(sex=sex).fields

    def pick(name: str, value: Any) -> None:
        choose(page, fields[name].label, choice_label(fields[name], value))

    field(page, fields["duration_days"].label).fill(str(duration_days))
    pick("pain_now", str(pain))
    pick("seen_by_doctor", False)
    pick("radiation", "none")
    pick("leg_numbness", "none")
    field(page, fields["painkiller_days"].label).fill("2")
    field(page, fields["medication"].label).fill("paracetamol 1 g")
    page.get_by_role("button", name="Next").click()

    for key, label in RED_FLAG_LABELS.items():
        if key in fields:
            choose(page, label, "yes" if key in red_flags else "no")
    page.get_by_role("button", name="Next").click()

    for label in START_BACK_LABELS.values():
        choose(page, label, "disagree")
    pick("bothersomeness", bothersomeness)
    page.get_by_role("button", name="Next").click()

    with translation.override("en"):  # each level shows its own answer text
        odi_fields = IntakeForm(sex=sex).fields
    for section in scores.ODI_SECTIONS:
        levels = dict((str(value), label) for value, label in odi_fields[f"odi_{section}"].choices)
        choose(page, ODI_LABELS[section], levels["1"])
    page.get_by_role("button", name=submit).click()


def answer_follow_up(
    page: Page,
    *,
    intake_date: date,
    sex: str = "F",
    language: str = "nl",
    still_back_pain: bool = True,
    pain: int = 6,
    global_change: str = "same",
    painkillers: bool = True,
) -> None:
    """Answer the follow-up questionnaire (no warning sign, STarT Back "disagree")."""
    from followups.forms import FollowUpForm

    with translation.override(language):
        form = FollowUpForm(intake_date=intake_date, sex=sex)
    fields = form.fields

    def pick(name: str, value: object) -> None:
        choose(page, fields[name].label, dict(fields[name].choices)[value], language)

    pick("still_back_pain", still_back_pain)
    pick("pain_now", str(pain))
    pick("global_change", global_change)
    pick("radiation", "none")
    pick("painkillers_still", painkillers)
    pick("leg_numbness", "none")
    for key in form.sign_keys:
        pick(key, False)
    for key in START_BACK_LABELS:
        pick(key, "0")
    pick("bothersomeness", "slightly")
    page.get_by_role("button", name=text("Send my answers", language)).click()


def is_red(page: Page, locator: Locator) -> bool:
    """The element is drawn in red: a red border and a reddish background."""
    colours = locator.evaluate(
        "el => { const s = getComputedStyle(el); return [s.borderTopColor, s.backgroundColor]; }"
    )
    (br, bg_, bb), (r, g, b) = (
        [int(n) for n in re.findall(r"\d+", colour)[:3]] for colour in colours
    )
    return br > 150 and br > 2 * bg_ and br > 2 * bb and r > g and r > b


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling on a phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def totp_now(secret_text: str) -> str:
    """The code an authenticator app shows now for the key the setup page gives."""
    from django_otp.oath import TOTP

    secret = re.sub(r"\s+", "", secret_text)
    key = b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"


def row(page: Page | Locator, *texts: str) -> Locator:
    """The table row that contains all ``texts``."""
    locator = page.locator("tr")
    for value in texts:
        locator = locator.filter(has_text=value)
    return locator


def see_message(page: Page, message: str) -> None:
    expect(page.get_by_role("alert").filter(has_text=message).first).to_be_visible()


def overflowing(page: Page) -> list[str]:
    """The outermost elements that stick out past the right edge of the window (a table
    in its scroll box does not count), and the page's width when it scrolls sideways."""
    return list(
        page.evaluate(
            """() => {
              const width = window.innerWidth;
              const out = [];
              for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                const parent = el.parentElement;
                const parentOut = parent && parent.getBoundingClientRect().right > width + 1;
                if (r.right > width + 1 && !parentOut && !el.closest('.table-responsive')) {
                  out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                           + ' → ' + Math.round(r.right) + 'px');
                }
              }
              if (document.documentElement.scrollWidth > width + 1) {
                out.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
              }
              return out.slice(0, 10);
            }"""
        )
    )
