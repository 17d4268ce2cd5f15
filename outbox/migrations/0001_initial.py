"""The outbox takes over the follow-ups app's table as it is: state only, no SQL
(``followups.0003_outboundemail_to_outbox`` prepared the columns)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("followups", "0003_outboundemail_to_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="OutboundEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("recipient", models.EmailField(max_length=254, verbose_name="recipient")),
                        ("language", models.CharField(max_length=2, verbose_name="language")),
                        ("template", models.CharField(max_length=80, verbose_name="template")),
                        ("context", models.JSONField(blank=True, default=dict)),
                        ("idempotency_key", models.CharField(max_length=200, unique=True)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "queued"),
                                    ("sending", "sending"),
                                    ("sent", "sent"),
                                    ("failed", "failed"),
                                ],
                                default="queued",
                                max_length=10,
                                verbose_name="state",
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
                        ),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="created at"
                            ),
                        ),
                        (
                            "patient_id",
                            models.BigIntegerField(
                                blank=True, db_index=True, null=True, verbose_name="patient"
                            ),
                        ),
                        (
                            "reference",
                            models.CharField(
                                blank=True, db_index=True, max_length=60, verbose_name="reference"
                            ),
                        ),
                        ("dismissed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "dismissed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "outbound e-mail",
                        "verbose_name_plural": "outbound e-mails",
                        "db_table": "followups_outboundemail",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("state__in", ("queued", "sending"))),
                                fields=["next_attempt_at", "id"],
                                name="outbox_pending_order_idx",
                            ),
                            models.Index(
                                condition=models.Q(
                                    ("dismissed_at__isnull", True), ("state", "failed")
                                ),
                                fields=["created_at"],
                                name="outbox_failed_idx",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
