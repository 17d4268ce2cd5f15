"""What an outbox row looks like as mail: rendered in its language, built as MIME.

``build_message`` renders the row's three templates (subject, plain text, HTML) and
builds the message with Django, one row at a time.

A drain sends hundreds of the same few kinds of mail that differ in a few values: the
patient's first name and link. ``Composer`` (one per drain) renders a template and
language once, with markers where those values go, builds that message once, and
makes each row's message by putting its values, recipient, Message-ID and date into the
bytes: the same bytes ``build_message`` gives, at a fraction of the cost. A kind of mail
is composed this way from the second row of it in a drain on, once a check has shown
that the markers come out as a real message would; anything the check or the per-row
guards do not cover (attachments, an address or value outside the plain cases, a
template that tests or filters one of the values) is built in full.
"""

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from email.utils import formatdate, parseaddr
from functools import cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.template import Context
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import escape

from clinics.models import Clinic
from outbox.models import OutboundEmail
from outbox.sealing import unseal_context

# Context values that templates print as they are (escaped in HTML) and never test or
# filter: the patient's own values, different in every mail. The other values are the
# same across many mails (weeks, expiry day) and are part of what a skeleton is for.
# A template that filters one of these gets no skeleton (its marker does not come out),
# but one that tests it (``{% if first_name == ... %}``) would: keep them printed only.
PRINTED_AS_IS = ("first_name", "questionnaire_url", "url")
# An address Django passes on unchanged (To header and envelope): plain ASCII dot-atom.
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
# RFC 5322's line limit: Django encodes a part with a longer line as quoted-printable.
LONGEST_LINE = 998
HEADER_END = b"\r\n\r\n"


def render_email(email: OutboundEmail, *, clinic: Clinic | None = None) -> tuple[str, str, str]:
    """Subject, plain text and HTML of ``email``, in its language.

    Every template gets ``clinic_name`` and ``clinic_phone``. Only the HTML part is
    HTML-escaped: the subject and the plain text show a name like D'Hondt as typed.
    """
    context = unseal_context(email.context)
    return _render_parts(email.template, email.language, context, context, clinic)


def _render_parts(
    template: str,
    language: str,
    text_context: dict[str, Any],
    html_context: dict[str, Any],
    clinic: Clinic | None,
) -> tuple[str, str, str]:
    clinic = clinic or Clinic.objects.current()
    shared = {"clinic_name": clinic.name, "clinic_phone": clinic.phone}
    base = f"emails/{template}"
    with translation.override(language):
        subject = _render(f"{base}.subject.txt", {**shared, **text_context}, autoescape=False)
        text = _render(f"{base}.txt", {**shared, **text_context}, autoescape=False)
        html = _render(f"{base}.html", {**shared, **html_context}, autoescape=True)
    return " ".join(subject.split()), text, html


def _render(name: str, context: dict[str, Any], *, autoescape: bool) -> str:
    return get_template(name).template.render(Context(context, autoescape=autoescape))


def message_id(email: OutboundEmail) -> str:
    digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{_domain(settings.DEFAULT_FROM_EMAIL)}>"


@cache
def _domain(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "backpath.invalid"


def build_message(email: OutboundEmail, *, clinic: Clinic | None = None) -> EmailMultiAlternatives:
    subject, text, html = render_email(email, clinic=clinic)
    return _assemble(email, subject, text, html)


def _assemble(email: OutboundEmail, subject: str, text: str, html: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [email.recipient],
        headers={
            "Message-ID": message_id(email),
            "Content-Language": email.language,
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    for attachment in email.attachments or ():
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message


def wire_bytes(message: EmailMultiAlternatives) -> bytes:
    """The message as Django's SMTP backend sends it."""
    return bytes(message.message().as_bytes(linesep="\r\n"))


# --- composing a drain's mail from skeletons --------------------------------------------


@dataclass(frozen=True)
class _Markers:
    """Stand-ins for one message's own values, each unique and left alone by escaping."""

    text: dict[str, str]  # value name -> marker in the subject and plain text
    html: dict[str, str]  # value name -> marker in the HTML part
    recipient: str
    idempotency_key: str

    @classmethod
    def new(cls, keys: tuple[str, ...]) -> "_Markers":
        token = secrets.token_hex(10)
        return cls(
            text={key: f"bptext{token}x{number}z" for number, key in enumerate(keys)},
            html={key: f"bphtml{token}x{number}z" for number, key in enumerate(keys)},
            recipient=f"bpto{token}@skeleton.invalid",
            idempotency_key=f"skeleton-{token}",
        )


@dataclass(frozen=True)
class _Skeleton:
    """A built message with markers in place of its own values, recipient, Message-ID
    and date."""

    data: bytes
    markers: _Markers
    message_id: bytes
    date: bytes
    boundary: bytes
    ascii_only: bool  # a part went out as 7bit: its values must be ASCII too
    longest_line: int

    def fill(self, values: dict[str, str], recipient: str, email_id: str) -> bytes | None:
        """The message with these values; None when Django would build it otherwise
        (a longer line than a part allows, a non-ASCII value in a 7bit part)."""
        data = self.data
        added = 0
        for key, value in values.items():
            if self.ascii_only and not value.isascii():
                return None
            raw, escaped = value.encode(), escape(value).encode()
            if self.boundary in raw:
                return None
            added += len(escaped) + len(raw)
            data = data.replace(self.markers.text[key].encode(), raw)
            data = data.replace(self.markers.html[key].encode(), escaped)
        if self.longest_line + added > LONGEST_LINE:
            return None
        data = data.replace(self.markers.recipient.encode(), recipient.encode())
        data = data.replace(self.message_id, email_id.encode(), 1)
        date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode()
        return data.replace(b"\r\nDate: " + self.date + b"\r\n", b"\r\nDate: " + date + b"\r\n", 1)


class Composer:
    """Builds a drain's messages: each kind of mail (template, language and the values
    shared by many rows) rendered once, each row's own values put in."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
        self._seen: set[tuple[str, ...]] = set()
        self._skeletons: dict[tuple[str, ...], _Skeleton | None] = {}

    def send(self, email: OutboundEmail, connection: Any) -> None:
        """Send ``email`` over ``connection`` (a mail backend, or None for a new one):
        over an open SMTP session from a skeleton where one fits, else built in full."""
        session = getattr(connection, "connection", None)
        data = self.compose(email) if isinstance(connection, SmtpBackend) and session else None
        if data is None:
            message = build_message(email, clinic=self.clinic)
            message.connection = connection
            message.send()
        else:
            session.sendmail(self.sender, [email.recipient], data)

    def compose(self, email: OutboundEmail) -> bytes | None:
        """``email`` as sent over SMTP, from a skeleton; None when it must be built in
        full (``build_message``)."""
        if email.attachments or not PLAIN_ADDRESS.fullmatch(email.recipient):
            return None
        context = unseal_context(email.context)
        values = {key: context.pop(key) for key in PRINTED_AS_IS if key in context}
        if not all(_plain_value(value) for value in values.values()):
            return None
        shared = json.dumps(context, sort_keys=True, default=str)
        key = (email.template, email.language, shared, *values)
        if key not in self._skeletons:
            if key not in self._seen:  # a kind of mail seen once is built in full
                self._seen.add(key)
                return None
            self._skeletons[key] = self._skeleton(email, context, tuple(values))
        skeleton = self._skeletons[key]
        if skeleton is None:
            return None
        return skeleton.fill(values, email.recipient, message_id(email))

    def _skeleton(
        self, email: OutboundEmail, shared: dict[str, Any], keys: tuple[str, ...]
    ) -> _Skeleton | None:
        """A skeleton for mail like ``email``, if filling it with awkward values gives
        exactly what Django builds with them; None otherwise."""
        skeleton = self._build(email, shared, keys)
        if skeleton is None:
            return None
        probe = _Markers.new(keys)
        values = {key: f"D'Hondt & <{marker}>" for key, marker in probe.text.items()}
        context = {**shared, **values}
        row = OutboundEmail(
            template=email.template,
            language=email.language,
            context=context,
            recipient=probe.recipient,
            idempotency_key=probe.idempotency_key,
        )
        expected = wire_bytes(build_message(row, clinic=self.clinic))
        filled = skeleton.fill(values, probe.recipient, message_id(row))
        if filled is None or _without_date(filled, skeleton.boundary) != _without_date(
            expected, _boundary(expected)
        ):
            return None
        return skeleton

    def _build(
        self, email: OutboundEmail, shared: dict[str, Any], keys: tuple[str, ...]
    ) -> _Skeleton | None:
        markers = _Markers.new(keys)
        row = OutboundEmail(
            template=email.template,
            language=email.language,
            recipient=markers.recipient,
            idempotency_key=markers.idempotency_key,
        )
        parts = _render_parts(
            email.template,
            email.language,
            {**shared, **markers.text},
            {**shared, **markers.html},
            self.clinic,
        )
        data = wire_bytes(_assemble(row, *parts))
        head, _, body = data.partition(HEADER_END)
        value_markers = (*markers.text.values(), *markers.html.values())
        if any(marker.encode() in head for marker in value_markers):
            return None  # a value in a header would need encoding
        for key in keys:
            if markers.text[key].encode() not in body and markers.html[key].encode() not in body:
                return None  # not printed as it is (a filter swallowed the marker)
        date = re.search(rb"^Date: ([^\r\n]+)\r$", head, re.MULTILINE)
        if date is None or body.count(b"Content-Transfer-Encoding: ") != 2:
            return None
        if (
            body.count(b"Content-Transfer-Encoding: 8bit")
            + body.count(b"Content-Transfer-Encoding: 7bit")
            != 2
        ):
            return None  # quoted-printable or base64: values would need encoding
        return _Skeleton(
            data=data,
            markers=markers,
            message_id=message_id(row).encode(),
            date=date.group(1),
            boundary=_boundary(data),
            ascii_only=b"Content-Transfer-Encoding: 7bit" in body,
            longest_line=max(len(line) for line in data.split(b"\r\n")),
        )


def _plain_value(value: Any) -> bool:
    """A value a skeleton can take: a non-empty string on one line (a template may print
    it or not depending on whether it is empty)."""
    return isinstance(value, str) and bool(value) and "\r" not in value and "\n" not in value


def _boundary(data: bytes) -> bytes:
    found = re.search(rb'boundary="([^"]+)"', data)
    return found.group(1) if found else b""


def _without_date(data: bytes, boundary: bytes) -> bytes:
    """``data`` comparable across builds: no Date header, a fixed MIME boundary."""
    data = re.sub(rb"^Date: [^\r\n]+\r\n", b"", data, count=1, flags=re.MULTILINE)
    return data.replace(boundary, b"BOUNDARY") if boundary else data
