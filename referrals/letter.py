"""The referral letter: a PDF addressed to the patient's GP, in the patient's language.

``letter_content(referral)`` gathers what the letter says (plain dataclasses, easy to
test); ``render_pdf(content)`` lays it out with fpdf2, a pure-Python PDF library, so
that a machine with only Python can make letters. The follow-up and treatment data are
read defensively: those apps may not have the models yet (see ``referrals.timeline``).
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from referrals import reason as reasons
from referrals import timeline
from referrals.models import Referral

# fpdf2's built-in fonts speak Windows-1252 (all of Dutch, French and English);
# anything else (an arrow, an emoji) is replaced rather than refused.
PDF_ENCODING = "windows-1252"


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LetterContent:
    language: str
    sender: list[str]
    addressee: list[str]
    place_and_date: str
    subject: str
    salutation: str
    opening: str
    sections: list[Section]
    closing: str
    signature_lines: list[str]
    footer: str


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _score_line(pain: int | None, odi: object) -> str:
    parts = []
    if pain is not None:
        parts.append(_("pain %(pain)s/10") % {"pain": pain})
    if odi is not None:
        parts.append(_("Oswestry %(odi)s%%") % {"odi": odi})
    return ", ".join(parts) or _("no scores recorded")


def _patient_section(referral: Referral) -> Section:
    patient = referral.episode.patient
    insz = patient.insz_display or _("none (%(reason)s)") % {"reason": patient.no_insz_reason}
    return Section(
        _("Patient"),
        rows=[
            (_("Name"), patient.full_name),
            (_("Birth date"), _day(patient.birth_date)),
            (_("National number"), insz),
            (_("Sex"), str(patient.get_sex_display())),
            (_("Postcode"), patient.postcode),
            (_("Phone"), patient.phone or "—"),
            (_("E-mail"), patient.email or "—"),
            (_("Language"), str(patient.get_language_display())),
        ],
    )


def _timeline_section(referral: Referral, language: str) -> Section:
    facts = timeline.episode_timeline(referral.episode, language)
    rows = [(_("Intake date"), _day(facts.intake_date))]
    if facts.triage:
        rows.append((_("Triage"), facts.triage))
    if facts.start_back:
        rows.append((_("STarT Back"), facts.start_back))
    rows.append((_("Scores at intake"), _score_line(facts.intake_pain, facts.intake_odi)))
    if facts.follow_up is not None:
        label = _("Scores at six weeks (%(day)s)") % {"day": _day(facts.follow_up.day)}
        rows.append((label, _score_line(facts.follow_up.pain, facts.follow_up.odi)))
    else:
        rows.append((_("Scores at six weeks"), _("no follow-up answered yet")))
    if facts.treatment is not None:
        treatment = ngettext(
            "%(count)s session, %(first)s to %(last)s",
            "%(count)s sessions, %(first)s to %(last)s",
            facts.treatment.sessions,
        ) % {
            "count": facts.treatment.sessions,
            "first": _day(facts.treatment.first_day),
            "last": _day(facts.treatment.last_day),
        }
        if facts.treatment.last_pain is not None:
            treatment += "; " + _("last pain %(pain)s/10") % {"pain": facts.treatment.last_pain}
    else:
        treatment = _("no physiotherapy sessions recorded")
    rows.append((_("Treatment so far"), treatment))
    return Section(_("Episode"), rows=rows)


def letter_content(referral: Referral, *, today: date | None = None) -> LetterContent:
    """What the letter says, in the patient's language."""
    patient = referral.episode.patient
    campus = referral.campus
    today = today or timezone.localdate()
    with translation.override(patient.language):
        if campus is not None:
            clinic = campus.clinic
            sender = [
                f"{clinic.name} — {_('campus')} {campus.name}",
                campus.address,
                _("Phone %(phone)s") % {"phone": campus.phone},
            ]
            subject = _("Referral to the pain clinic, campus %(campus)s") % {"campus": campus.name}
        else:
            sender = [_("Pain clinic"), _("Campus to be decided: no campus accepts referrals now")]
            subject = _("Referral to the pain clinic")
        gp = patient.gp_name or _("the general practitioner")
        addressee = [_("To: %(gp)s") % {"gp": gp}]
        if patient.gp_practice:
            addressee.append(patient.gp_practice)
        reason = Section(
            _("Reason for referral"),
            paragraphs=[" ".join(reasons.sentences(reasons.referral_reason(referral)))],
        )
        if campus is not None:
            reason.paragraphs.append(
                _("Campus: %(campus)s (%(why)s).")
                % {"campus": campus.name, "why": referral.campus_reason_text()}
            )
        signature = [
            _("Proposed on %(day)s by %(who)s.")
            % {
                "day": _day(timezone.localdate(referral.created_at)),
                "who": _display_name(referral.created_by) or _("the six-week follow-up"),
            }
        ]
        if referral.sent_at is not None:
            signature.append(
                _("Approved and sent on %(day)s by %(who)s.")
                % {
                    "day": _day(timezone.localdate(referral.sent_at)),
                    "who": _display_name(referral.sent_by) or "—",
                }
            )
        physio = _signing_physiotherapist(referral)
        if physio:
            signature.append(
                _("Physiotherapist: %(name)s. Signature of the physiotherapist:") % {"name": physio}
            )
        signature.append(_("Signature of the general practitioner:"))
        return LetterContent(
            language=patient.language,
            sender=[line for line in sender if line],
            addressee=addressee,
            place_and_date=_("Date: %(day)s") % {"day": _day(today)},
            subject=subject,
            salutation=_("Dear colleague,"),
            opening=_(
                "Your patient below has been followed in the low-back-pain pathway and still "
                "has back pain at the six-week follow-up. We propose a referral to the pain "
                "clinic. Please sign this letter if you agree; the patient will make the "
                "appointment by phone."
            ),
            sections=[
                _patient_section(referral),
                _timeline_section(referral, patient.language),
                reason,
            ],
            closing=_("Kind regards,"),
            signature_lines=signature,
            footer=_("Referral #%(number)s") % {"number": referral.pk},
        )


def _signing_physiotherapist(referral: Referral) -> str:
    """The physiotherapist who treats the episode signs; else the one who proposed or
    approved the referral."""
    episode = referral.episode
    return _display_name(episode.physio) or _display_name(referral.sent_by or referral.created_by)


def _display_name(user: object) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def _pdf_text(text: str) -> str:
    return text.encode(PDF_ENCODING, errors="replace").decode(PDF_ENCODING)


class _LetterPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=8)
        self.cell(0, 10, _pdf_text(f"{self.footer_text} · {self.page_no()}/{{nb}}"), align="C")


def render_pdf(content: LetterContent) -> bytes:
    """Lay the letter out on A4 and return the PDF bytes."""
    pdf = _LetterPDF(format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.footer_text = content.footer
    pdf.set_title(_pdf_text(content.subject))
    pdf.set_lang(content.language)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("helvetica", "B", 11)
    for line in content.sender[:1]:
        pdf.multi_cell(width, 5, _pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for line in content.sender[1:]:
        pdf.multi_cell(width, 5, _pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for line in content.addressee:
        pdf.multi_cell(width, 5, _pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(width, 5, _pdf_text(content.place_and_date), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 12)
    pdf.multi_cell(width, 6, _pdf_text(content.subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(width, 5, _pdf_text(content.salutation), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(width, 5, _pdf_text(content.opening), new_x="LMARGIN", new_y="NEXT")

    for section in content.sections:
        pdf.ln(4)
        pdf.set_font("helvetica", "B", 11)
        pdf.multi_cell(width, 6, _pdf_text(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        if section.rows:
            with pdf.table(
                col_widths=(55, width - 55),
                borders_layout="NONE",
                first_row_as_headings=False,
                text_align="LEFT",
                line_height=4.6,
                padding=(0.4, 1, 0.4, 0),
            ) as table:
                for label, value in section.rows:
                    row = table.row()
                    row.cell(_pdf_text(label))
                    row.cell(_pdf_text(value))
        for paragraph in section.paragraphs:
            pdf.multi_cell(width, 5, _pdf_text(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)

    pdf.ln(6)
    pdf.multi_cell(width, 5, _pdf_text(content.closing), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in content.signature_lines:
        pdf.multi_cell(width, 5, _pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.cell(80, 5, "", border="T", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def build_letter_pdf(referral: Referral) -> bytes:
    content = letter_content(referral)
    with translation.override(content.language):
        return render_pdf(content)
