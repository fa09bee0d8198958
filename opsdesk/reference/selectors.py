"""Reads of reference data."""

from .defaults import itss_priority
from .models import PriorityMatrixCell


def priority_from_matrix(*, impact_id: int, urgency_id: int) -> int:
    """Priority level for impact × urgency: the matrix cell, or the ITSS formula if the cell is missing."""
    cell = list(
        PriorityMatrixCell.objects.filter(impact_id=impact_id, urgency_id=urgency_id)
        .order_by().values_list("priority_id", flat=True)[:1]
    )
    if cell:
        return cell[0]
    return itss_priority(impact_id, urgency_id)
