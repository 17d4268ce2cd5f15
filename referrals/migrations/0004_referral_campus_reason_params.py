from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_referral_referral_open_queue_idx")]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="campus_reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
