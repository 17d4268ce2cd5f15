"""HTTP hardening: a strict CSP on every page, and templates it cannot break."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

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


def _templates(exclude_emails: bool) -> list[Path]:
    return [
        path
        for path in TEMPLATES.rglob("*.html")
        if not (exclude_emails and path.relative_to(TEMPLATES).parts[0] == "emails")
    ]


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


def test_session_and_csrf_cookies_are_http_only():
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_HTTPONLY


@pytest.mark.parametrize("path", _templates(exclude_emails=False), ids=str)
def test_no_template_has_an_inline_script(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "move the script into static/js/"
    assert not INLINE_HANDLER.search(text), "use addEventListener in static/js/"


@pytest.mark.parametrize("path", _templates(exclude_emails=True), ids=str)
def test_no_page_template_has_inline_style(path):
    text = path.read_text(encoding="utf-8")
    assert not STYLE_ATTRIBUTE.search(text), "use a class in static/css/backpath.css"
    assert not STYLE_ELEMENT.search(text), "use static/css/backpath.css"


def test_the_scanner_catches_what_it_must():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search("<script src=\"{% static 'js/backpath.js' %}\" defer>")
    assert INLINE_HANDLER.search('<button onclick="go()">')
    assert STYLE_ATTRIBUTE.search('<div class="x" style="max-width: 4rem">')
    assert not STYLE_ATTRIBUTE.search('<div data-style="x">')


def test_htmx_is_told_not_to_inject_its_style_element(client):
    page = client.get(reverse("login")).content.decode()
    assert '"includeIndicatorStyles": false' in page
