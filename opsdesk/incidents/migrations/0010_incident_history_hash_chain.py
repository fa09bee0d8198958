"""The history's hash chains (issue 9): seq, prev_hash and hash on every entry.

Existing entries are linked here, per incident in (time, id) order, a batch of incidents at a
time, before the unique (incident, seq) constraint is added.
"""

from django.conf import settings
from django.db import migrations, models


def link_existing(apps, schema_editor):
    from opsdesk.audit.incident_chain import chains_backfill

    chains_backfill(apps.get_model("incidents", "IncidentEvent"))


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0009_due_at_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='incidentevent',
            name='hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='hash'),
        ),
        migrations.AddField(
            model_name='incidentevent',
            name='prev_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='previous hash'),
        ),
        migrations.AddField(
            model_name='incidentevent',
            name='seq',
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name='sequence'),
        ),
        migrations.RunPython(link_existing, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='incidentevent',
            constraint=models.UniqueConstraint(fields=('incident', 'seq'), name='event_incident_seq'),
        ),
    ]
