"""The bench's tables and taking away what a run added: shared by the loader
(``bench.load``) and the measurements (``bench.background``, ``bench.intake``)."""

from __future__ import annotations

from typing import Any

from django.db import connection

# Tables the loader fills (and truncates on --reload), children first.
TABLES = (
    "followups_outboundemail",
    "followups_questionnairelink",
    "referrals_referralevent",
    "referrals_referralletter",
    "referrals_referral",
    "followups_followup",
    "treatment_treatmentsession",
    "treatment_prescribedexercise",
    "treatment_treatmentgoal",
    "treatment_treatmentplan",
    "treatment_discharge",
    "intake_alertaction",
    "intake_alert",
    "intake_intakelink",
    "intake_intakeassessment",
    "intake_episode",
    "intake_patient",
    "security_readlog",
    "auditlog_logentry",
)


def sql(statement: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if cursor.description:
            return cursor.fetchall()
        return cursor.rowcount


def scalar(statement: str, params: Any = None) -> Any:
    return sql(statement, params)[0][0]


def reset(meta: dict[str, Any]) -> None:
    """Delete every row added after the load (ids above the loaded ones), then vacuum."""
    loaded_max = meta.get("max_ids") or {}
    for table in TABLES:
        sql(f"DELETE FROM {table} WHERE id > %s", [loaded_max.get(table, 0)])  # noqa: S608
    for table in (
        "followups_followup",
        "followups_outboundemail",
        "followups_questionnairelink",
        "intake_patient",
        "intake_episode",
        "intake_intakeassessment",
    ):
        sql(f"VACUUM ANALYZE {table}")
