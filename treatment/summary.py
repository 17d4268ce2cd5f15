"""The discharge summary as a document: a formatted page, a PDF and an e-mail to the GP,
in the patient's language or the GP's.

``summary_content`` gathers what the summary says (plain data, easy to test and to put in
an e-mail's JSON context); ``render_pdf`` lays it out with fpdf2 as the referral letter
does. The plain text kept on the ``Discharge`` row stays the record of what was written
at discharge; this document is made from the episode when it is asked for.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from intake.models import Episode, StartBackRisk
from treatment.models import Discharge, TreatmentPlan
from treatment.outcomes import Measurement

PDF_ENCODING = "windows-1252"


@dataclass(frozen=True)
class SummaryContent:
    language: str
    title: str
    rows: list[tuple[str, str]]
    goals: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    note: str = ""
    signed_by: str = ""

    def as_context(self) -> dict[str, Any]:
        """JSON values, for the outbox."""
        return asdict(self)


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _mic(reached: bool | None) -> str:
    if reached is None:
        return ""
    label = (
        _("minimal important change reached")
        if reached
        else _("minimal important change not reached")
    )
    return f" ({label})"


def _scores(pain: int | None, odi: float | None, pain_mic: Any = None, odi_mic: Any = None) -> str:
    parts = []
    if pain is not None:
        parts.append(f"{_('pain')} {pain}/10{_mic(pain_mic)}")
    if odi is not None:
        parts.append(f"ODI {float(odi):.1f} %{_mic(odi_mic)}")
    return ", ".join(parts) or "—"


def summary_content(
    episode: Episode, discharge: Discharge, values: Sequence[Measurement], language: str
) -> SummaryContent:
    """What the discharge summary of a closed episode says, in ``language``."""
    patient = episode.patient
    intake = episode.intake
    plan = TreatmentPlan.objects.filter(episode=episode).first()
    ended = timezone.localdate(discharge.discharged_at)
    with translation.override(language):
        risk = intake.start_back_risk
        risk_text = StartBackRisk(risk).label if risk in StartBackRisk.values else risk
        rows = [
            (
                _("Episode from %(start)s to %(end)s")
                % {"start": _day(episode.intake_date), "end": _day(ended)},
                ngettext(
                    "%(weeks)s week", "%(weeks)s weeks", (ended - episode.intake_date).days // 7
                )
                % {"weeks": (ended - episode.intake_date).days // 7},
            ),
            (_("Outcome"), str(discharge.get_outcome_display())),
            (
                _("At intake"),
                _scores(
                    intake.pain_now,
                    None if intake.odi_percent is None else float(intake.odi_percent),
                )
                + f", STarT Back {risk_text}",
            ),
        ]
        sessions = episode.treatment_sessions.count()
        if plan is not None:
            rows.append(
                (
                    _("Approach"),
                    f"{plan.get_approach_display()}; "
                    + _("%(done)s of %(planned)s planned sessions")
                    % {"done": sessions, "planned": plan.planned_sessions},
                )
            )
        last = values[-1] if len(values) > 1 else None
        if last is not None:
            rows.append(
                (
                    _("Last measurement (%(day)s)") % {"day": _day(last.day)},
                    _scores(last.pain, last.odi, last.pain_mic, last.odi_mic),
                )
            )
        goals = [
            f"{goal.description} ({_day(goal.target_date)}): "
            + (_("achieved") if goal.achieved else _("not achieved"))
            for goal in (plan.goals.all() if plan else [])
        ]
        exercises = [
            p.exercise.name_in(language)
            for p in (plan.prescriptions.select_related("exercise") if plan else [])
        ]
        return SummaryContent(
            language=language,
            title=_("Discharge summary: %(name)s, born %(born)s")
            % {"name": patient.full_name, "born": _day(patient.birth_date)},
            rows=rows,
            goals=goals,
            exercises=exercises,
            note=discharge.note,
            signed_by=_name(discharge.discharged_by or episode.physio),
        )


def _pdf_text(text: str) -> str:
    return text.encode(PDF_ENCODING, errors="replace").decode(PDF_ENCODING)


def render_pdf(content: SummaryContent) -> bytes:
    with translation.override(content.language):
        pdf = FPDF(format="A4")
        pdf.core_fonts_encoding = PDF_ENCODING
        pdf.set_margins(20, 20, 20)
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 8, _pdf_text(content.title), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        for label, value in content.rows:
            pdf.set_font("Helvetica", "B", 10)
            pdf.multi_cell(0, 6, _pdf_text(label), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 6, _pdf_text(value), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        for heading, items in (
            (_("Goals"), content.goals),
            (_("Home exercises"), content.exercises),
        ):
            if items:
                pdf.set_font("Helvetica", "B", 10)
                pdf.multi_cell(0, 6, _pdf_text(heading), new_x="LMARGIN", new_y="NEXT")
                pdf.set_font("Helvetica", "", 10)
                for item in items:
                    pdf.multi_cell(0, 6, _pdf_text(f"- {item}"), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
        if content.note:
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 6, _pdf_text(content.note), new_x="LMARGIN", new_y="NEXT")
        if content.signed_by:
            pdf.ln(4)
            pdf.multi_cell(
                0,
                6,
                _pdf_text(_("Physiotherapist: %(name)s") % {"name": content.signed_by}),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        return bytes(pdf.output())
