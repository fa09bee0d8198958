"""Reads of reference data."""

from opsdesk.core import lookups

from .defaults import itss_priority
from .models import PriorityMatrixCell


def priority_from_matrix(*, impact_id: int, urgency_id: int) -> int:
    """Priority level for impact × urgency: the matrix cell, or the ITSS formula if the cell is missing."""
    # 16 cells, read from memory (core.lookups): an edited cell applies within its TTL.
    for cell in lookups.rows_by_pk(PriorityMatrixCell).values():
        if (cell.impact_id, cell.urgency_id) == (impact_id, urgency_id):
            return cell.priority_id
    return itss_priority(impact_id, urgency_id)
