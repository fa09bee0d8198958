"""The end of each incident's history chain, anchored on the incident row (issue 9).

history_seq and history_hash are the seq and hash of the incident's last history entry; the
verifier compares them with the last entry, so entries removed from the end are detected.
Existing incidents get theirs from their last entry, a range of ids per UPDATE.
"""

from django.db import migrations, models


def anchor_existing(apps, schema_editor):
    from opsdesk.audit.incident_chain import heads_backfill

    heads_backfill(apps.get_model("incidents", "Incident"),
                   apps.get_model("incidents", "IncidentEvent"))


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0010_incident_history_hash_chain'),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='history_hash',
            field=models.CharField(blank=True, default='', editable=False, max_length=64,
                                   verbose_name='history head hash'),
        ),
        migrations.AddField(
            model_name='incident',
            name='history_seq',
            field=models.PositiveIntegerField(default=0, editable=False,
                                              verbose_name='history length'),
        ),
        migrations.RunPython(anchor_existing, migrations.RunPython.noop, elidable=True),
    ]
