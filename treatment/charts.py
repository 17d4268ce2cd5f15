"""The episode's outcome charts: pain and ODI over time against the intake baseline."""

from django.utils.translation import gettext as _

from clinics.charts import PALETTE, LineChart, LineValue, line_chart
from treatment import outcomes
from treatment.outcomes import Measurement

SOURCE_COLORS = {
    outcomes.INTAKE: PALETTE[5],
    outcomes.SESSION: PALETTE[0],
    outcomes.FOLLOW_UP: PALETTE[2],
}


def source_label(source: str) -> str:
    return {
        outcomes.INTAKE: _("intake"),
        outcomes.SESSION: _("session"),
        outcomes.FOLLOW_UP: _("follow-up"),
    }[source]


def _guides(baseline: float, mic: float | None) -> list[tuple[float, str, bool, bool]]:
    guides = [(baseline, _("level at intake"), False, False)]
    if mic is not None:
        guides.append((mic, _("minimal important change"), True, True))
    return guides


def pain_chart(values: list[Measurement]) -> LineChart:
    baseline = values[0].pain or 0
    points = [
        LineValue(
            m.day,
            m.pain,
            _("%(day)s · %(source)s · pain %(value)s/10")
            % {"day": f"{m.day:%d/%m/%Y}", "source": source_label(m.source), "value": m.pain},
            filled=bool(m.pain_mic),
            color=SOURCE_COLORS[m.source],
        )
        for m in values
        if m.pain is not None
    ]
    return line_chart(
        points,
        maximum=10,
        step=2,
        guides=_guides(baseline, outcomes.pain_mic_level(baseline)),
    )


def odi_chart(values: list[Measurement]) -> LineChart | None:
    """None when fewer than two ODI scores exist: there is nothing to follow yet."""
    with_odi = [m for m in values if m.odi is not None]
    if len(with_odi) < 2:
        return None
    baseline = values[0].odi
    points = [
        LineValue(
            m.day,
            m.odi,
            _("%(day)s · %(source)s · ODI %(value)s %%")
            % {"day": f"{m.day:%d/%m/%Y}", "source": source_label(m.source), "value": m.odi},
            filled=bool(m.odi_mic),
            color=SOURCE_COLORS[m.source],
        )
        for m in with_odi
    ]
    guides = [] if baseline is None else _guides(baseline, outcomes.odi_mic_level(baseline))
    return line_chart(points, maximum=100, step=20, guides=guides)
