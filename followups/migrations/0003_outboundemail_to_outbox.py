"""The outbox leaves the follow-ups app (issue 13), keeping its table and every row.

In the database: the mail's follow-up becomes a plain ``reference`` ("followup:<id>")
and its patient a plain id (no foreign keys: the outbox knows no feature app). In
Django's state: the model is deleted here and created in ``outbox`` on the same table
(``outbox.0001_initial``), without touching the database.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0002_sweep_and_drain_order_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="reference",
            field=models.CharField(blank=True, db_index=True, default="", max_length=60),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE followups_outboundemail SET reference = 'followup:' || follow_up_id "
            "WHERE follow_up_id IS NOT NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RemoveField(model_name="outboundemail", name="follow_up"),
        migrations.AlterField(
            model_name="outboundemail",
            name="patient",
            field=models.BigIntegerField(
                blank=True, db_column="patient_id", db_index=True, null=True
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboundEmail")],
            database_operations=[],
        ),
    ]
