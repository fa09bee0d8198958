"""Reads of reference data."""

from .defaults import itss_priority
from .models import PriorityMatrixCell


def priority_from_matrix(*, impact_id: int, urgency_id: int) -> int:
    """Priority level for impact × urgency: the matrix cell, or the ITSS formula if the cell is missing."""
    cell = (
        PriorityMatrixCell.objects.filter(impact_id=impact_id, urgency_id=urgency_id)
        .values_list("priority_id", flat=True).first()
    )
    if cell is not None:
        return cell
    return itss_priority(impact_id, urgency_id)
