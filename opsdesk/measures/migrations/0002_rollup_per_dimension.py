"""The daily rollup keeps one row per day and dimension value instead of one per combination
of all five dimensions (about 60 rows a day instead of thousands at scale). Its rows are
derived data: they are dropped here and every day with facts is marked for the next tick."""

from django.db import migrations, models


def clear(apps, schema_editor):
    apps.get_model("measures", "KpiDaily").objects.all().delete()


def mark_days(apps, schema_editor):
    facts = apps.get_model("measures", "IncidentFact")
    dirty = apps.get_model("measures", "RollupDirtyDay")
    days = facts.objects.values_list("day", flat=True).distinct()
    dirty.objects.bulk_create([dirty(day=day) for day in days], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [("measures", "0001_kpi_engine")]

    operations = [
        migrations.RunPython(clear, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="kpidaily", name="kpi_daily_day"),
        migrations.RemoveField(model_name="kpidaily", name="group_id"),
        migrations.RemoveField(model_name="kpidaily", name="category_id"),
        migrations.RemoveField(model_name="kpidaily", name="service_id"),
        migrations.RemoveField(model_name="kpidaily", name="priority_id"),
        migrations.RemoveField(model_name="kpidaily", name="source_id"),
        migrations.AddField(model_name="kpidaily", name="dimension",
                            field=models.CharField(default="all", max_length=10),
                            preserve_default=False),
        migrations.AddField(model_name="kpidaily", name="key",
                            field=models.CharField(blank=True, max_length=32)),
        migrations.AddIndex(model_name="kpidaily", index=models.Index(
            fields=["dimension", "day", "key"], name="kpi_daily_dim_day")),
        migrations.RunPython(mark_days, migrations.RunPython.noop),
    ]
