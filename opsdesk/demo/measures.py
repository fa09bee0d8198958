"""The demo company's KPIs: the facts and rollup counted at once, and the process owner's
targets for first-contact resolution and the reopen rate, with the reasons a process owner
would have.

The incidents' hooks already marked their days, so the periodic tick would count them within
30 s; counting here makes /measures/ right the moment `opsdesk up --demo` is done. Safe to run
again: a target already set is left alone. Call `measures_seed()` after every other seed (the
surveys and the knowledge deflections included).
"""

from opsdesk.accounts.models import User
from opsdesk.measures.models import KpiTarget
from opsdesk.measures.rollups import rollup_rebuild
from opsdesk.measures.services import target_set

# (code, target): the desk resolves a fair share itself; reopens stay rare.
TARGETS = [("first_contact_resolution", 40), ("reopen_rate", 3)]


def measures_seed() -> int:
    """Count every day's KPIs and set the demo targets; return the days counted."""
    owner = User.objects.filter(username="owner", is_process_owner=True).first()
    if owner is not None:
        for code, target in TARGETS:
            if not KpiTarget.objects.filter(code=code).exists():
                target_set(code=code, target=target, by=owner)
    return rollup_rebuild()
