"""The results as a table, each figure with its target and whether it is met."""

from __future__ import annotations

from typing import Any

STAFF_PAGES = ("search_name", "search_insz", "caseload", "coordinator", "manager")


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def targets(results: dict[str, Any]) -> dict[str, tuple[str, bool | None]]:
    """key -> (target text, met?) ; None when the figure is missing."""
    bare = results.get("bare_p95_ms")
    admin = results.get("admin_changelist_p95_ms")
    out: dict[str, tuple[str, bool | None]] = {}
    for page in STAFF_PAGES:
        value = results.get(f"{page}_p95_ms")
        if value is None or bare is None or admin is None:
            out[f"{page}_p95_ms"] = ("≤ 2 × bare and ≤ admin / 5", None)
            continue
        limit = min(2 * bare, admin / 5)
        out[f"{page}_p95_ms"] = (f"≤ {limit:,.2f} (2 × bare, admin / 5)", value <= limit)
    checks = {
        "max_queries_per_page": ("≤ 12", lambda v: v <= 12),
        "sweep_rows_per_s": ("≥ 20,000", lambda v: v >= 20_000),
        "sweep_ratio_1m_100k": ("≤ 1.5", lambda v: v <= 1.5),
        "smtp_msgs_per_s": ("≥ 500", lambda v: v >= 500),
        "intake_p95_ms": ("≤ 100", lambda v: v <= 100),
        "triage_per_s": ("≥ 100,000", lambda v: v >= 100_000),
    }
    for key, (text, ok) in checks.items():
        value = results.get(key)
        out[key] = (text, None if value is None else bool(ok(value)))
    return out


ROWS = (
    ("patients", "patients"),
    ("load_seconds", "load, s"),
    ("bare_p95_ms", "bare page p95, ms"),
    ("search_name_p95_ms", "search by name p95, ms"),
    ("search_insz_p95_ms", "search by INSZ p95, ms"),
    ("reception_home_p95_ms", "reception home p95, ms (extra)"),
    ("caseload_p95_ms", "physio caseload p95, ms"),
    ("coordinator_p95_ms", "coordinator queue p95, ms"),
    ("manager_p95_ms", "manager dashboard p95, ms"),
    ("admin_changelist_p95_ms", "admin patient changelist p95, ms"),
    ("max_queries_per_page", "max queries per staff page"),
    ("sweep_rows_per_s", "sweep, follow-ups/s"),
    ("sweep_10k_among_100k_s", "sweep 10k due among 100k, s"),
    ("sweep_10k_among_1m_s", "sweep 10k due among 1M, s"),
    ("sweep_ratio_1m_100k", "  ratio 1M / 100k"),
    ("smtp_msgs_per_s", "SMTP delivery, messages/s"),
    ("intake_p95_ms", "intake submission p95, ms"),
    ("triage_per_s", "triage evaluations/s"),
)


def table(results: dict[str, Any]) -> str:
    goals = targets(results)
    lines = [
        f"Backpath bench · {results.get('scale', '?')} · {results.get('date', '')} · "
        f"{results.get('machine', '')}",
        f"{'figure':<36} {'value':>12}  {'target':<36} met",
        "-" * 92,
    ]
    for key, label in ROWS:
        if key not in results:
            continue
        target, met = goals.get(key, ("", None))
        mark = "" if key not in goals else ("yes" if met else ("NO" if met is False else "?"))
        lines.append(f"{label:<36} {_fmt(results[key]):>12}  {target:<36} {mark}")
    return "\n".join(lines)
