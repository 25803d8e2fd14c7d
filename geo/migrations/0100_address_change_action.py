"""The audit trail names address creation and imports (addresses app)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0006_personal_read_action'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditrecord',
            name='action',
            field=models.CharField(choices=[('login', 'login'), ('login_failed', 'failed login'), ('boundary_change', 'boundary change'), ('incident_transition', 'incident transition'), ('export', 'export'), ('user_change', 'user change'), ('calendar_change', 'working-day calendar change'), ('personal_read', 'personal data read'), ('address_change', 'address created or imported')], db_index=True, max_length=24),
        ),
    ]
