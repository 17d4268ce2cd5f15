"""HTTP hardening: a strict CSP on every page, and templates it cannot break."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


def _policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


def test_pages_send_a_strict_content_security_policy(client):
    policy = _policy(client.get(reverse("login")))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["object-src"] == "'none'"


def test_the_policy_allows_nothing_inline_or_evaluated(client, receptionist):
    client.force_login(receptionist)
    header = client.get(reverse("intake:reception_home"))["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


def test_patient_link_pages_carry_the_policy_too(client):
    response = client.get("/intake/not-a-real-token/")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_pages_cannot_be_framed_or_sniffed(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_out_of_reach_of_page_scripts(client, receptionist):
    login = reverse("login")
    assert client.get(login).cookies[settings.CSRF_COOKIE_NAME]["httponly"]
    response = client.post(login, {"username": receptionist.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


# What no template may hold, with the fix; e-mails may style inline (mail clients need it).
TEMPLATE_RULES = [
    (INLINE_SCRIPT, False, "inline <script>: move the script into static/js/"),
    (INLINE_HANDLER, False, "inline on...= handler: use addEventListener in static/js/"),
    (STYLE_ATTRIBUTE, True, "style= attribute: use a class in static/css/backpath.css"),
    (STYLE_ELEMENT, True, "<style> element: use static/css/backpath.css"),
]


def template_offences(root: Path = TEMPLATES) -> list[str]:
    """Every place in the templates under ``root`` that breaks a rule, as
    ``path:line: what to do``."""
    offences = []
    for path in sorted(root.rglob("*.html")):
        relative = path.relative_to(root)
        is_email = relative.parts[0] == "emails"
        text = path.read_text(encoding="utf-8")
        for pattern, pages_only, fix in TEMPLATE_RULES:
            if pages_only and is_email:
                continue
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offences.append(f"{root.name}/{relative}:{line}: {fix}")
    return offences


def test_no_template_has_an_inline_script_or_a_page_inline_style():
    assert any(TEMPLATES.rglob("*.html")), "no templates found"
    offences = template_offences()
    assert not offences, "templates the CSP would break:\n" + "\n".join(offences)


def test_the_template_scan_lists_every_offending_file(tmp_path):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "reminder.html").write_text('<p style="color: red">{{ name }}</p>')
    (tmp_path / "emails" / "bad.html").write_text("<p>\n<script>track()</script></p>")
    (tmp_path / "page.html").write_text('<div>\n<div style="width: 4rem">\n<style>\n')
    (tmp_path / "fine.html").write_text("<script src=\"{% static 'js/backpath.js' %}\"></script>")
    (tmp_path / "button.html").write_text('<button\n  onclick="go()">Go</button>')
    assert template_offences(tmp_path) == [
        f"{tmp_path.name}/button.html:2: inline on...= handler: use addEventListener in static/js/",
        f"{tmp_path.name}/emails/bad.html:2: inline <script>: move the script into static/js/",
        f"{tmp_path.name}/page.html:2: style= attribute: use a class in static/css/backpath.css",
        f"{tmp_path.name}/page.html:3: <style> element: use static/css/backpath.css",
    ]


def test_the_scanner_catches_what_it_must():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search("<script src=\"{% static 'js/backpath.js' %}\" defer>")
    assert INLINE_HANDLER.search('<button onclick="go()">')
    assert STYLE_ATTRIBUTE.search('<div class="x" style="max-width: 4rem">')
    assert not STYLE_ATTRIBUTE.search('<div data-style="x">')


def test_htmx_is_told_not_to_inject_its_style_element(client):
    page = client.get(reverse("login")).content.decode()
    assert '"includeIndicatorStyles": false' in page
