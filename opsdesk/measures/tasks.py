"""The KPI rollup's periodic entry point."""

from django_tasks import task

from .rollups import rollup_tick


@task()
def kpi_rollup_tick() -> int:
    """Count the dirty days again (core/periodic.py enqueues it every 30 s)."""
    return rollup_tick()
