"""Reads of reference data."""

from opsdesk.core import lookups

from .defaults import itss_priority
from .models import Category, PriorityMatrixCell, PriorityMatrixChange, RoutingRule


def priority_from_matrix(*, impact_id: int, urgency_id: int) -> int:
    """Priority level for impact × urgency: the matrix cell, or the ITSS formula if the cell is missing."""
    # 16 cells, read from memory (core.lookups): an edited cell applies within its TTL.
    for cell in lookups.rows_by_pk(PriorityMatrixCell).values():
        if (cell.impact_id, cell.urgency_id) == (impact_id, urgency_id):
            return cell.priority_id
    return itss_priority(impact_id, urgency_id)


def priority_matrix_grid() -> dict[tuple[int, int], int]:
    """Every (impact, urgency) → its priority level (the formula where a cell is missing)."""
    from .models import Impact, Urgency

    cells = {(c.impact_id, c.urgency_id): c.priority_id
             for c in lookups.rows_by_pk(PriorityMatrixCell).values()}
    impacts, urgencies = sorted(lookups.rows_by_pk(Impact)), sorted(lookups.rows_by_pk(Urgency))
    return {(i, u): cells.get((i, u)) or itss_priority(i, u) for i in impacts for u in urgencies}


def priority_matrix_changes(*, limit: int = 20) -> list[PriorityMatrixChange]:
    """The latest changes of matrix cells, newest first, with who made them."""
    return list(PriorityMatrixChange.objects.select_related("changed_by")[:limit])


def routing_rule_match(*, category_id: int | None, service_id: int | None,
                       location_id: int | None) -> RoutingRule | None:
    """The most specific active rule for these values whose group is active, or None.

    Read from memory (core.lookups), so logging an incident costs no query for routing. The
    order of specificity is documented on RoutingRule; the returned rule carries its group.
    """
    from opsdesk.accounts.models import SupportGroup

    rules = lookups.rows_by_pk(RoutingRule)
    if not rules:
        return None
    category = lookups.lookup(Category, category_id) if category_id else None
    best, best_key = None, None
    for rule in rules.values():
        key = _specificity(rule, category, service_id, location_id) if rule.is_active else None
        if key is None or (best_key is not None and key <= best_key):
            continue
        group = lookups.lookup(SupportGroup, rule.group_id)
        if group is not None and group.is_active:
            rule.group = group
            best, best_key = rule, key
    return best


def _specificity(rule: RoutingRule, category, service_id, location_id) -> tuple | None:
    """How specific rule is for these values (larger wins), or None if it does not match."""
    if rule.service_id is not None and rule.service_id != service_id:
        return None
    if rule.location_id is not None and rule.location_id != location_id:
        return None
    depth = 0
    if rule.category_id is not None:
        ruled = lookups.lookup(Category, rule.category_id)
        if category is None or ruled is None or not category_within(category.path, ruled.path):
            return None
        depth = ruled.path.count(".") + 1
    named = (rule.service_id is not None, rule.category_id is not None,
             rule.location_id is not None)
    return (sum(named), named[0], named[1], depth, named[2], -rule.order, -rule.pk)


def category_within(path: str, ancestor_path: str) -> bool:
    """Whether the category at path is ancestor_path itself or below it."""
    return path == ancestor_path or path.startswith(ancestor_path + ".")


def routing_rule_list() -> list[RoutingRule]:
    """Every routing rule, active first, most specific first, with its targets joined."""
    rules = RoutingRule.objects.select_related("category", "service", "location", "group")
    return sorted(rules, key=lambda r: (not r.is_active, _specificity_order(r)))


def _specificity_order(rule: RoutingRule) -> tuple:
    named = (rule.service_id is not None, rule.category_id is not None,
             rule.location_id is not None)
    depth = rule.category.path.count(".") + 1 if rule.category_id else 0
    return (-sum(named), not named[0], not named[1], -depth, not named[2], rule.order, rule.pk)


def category_tree() -> list[Category]:
    """Every category in tree order (siblings by sort order and code), each with `depth`."""
    rows = {c.pk: c for c in Category.objects.all()}

    def key(node) -> list:
        parent = rows.get(node.parent_id)
        return (key(parent) if parent else []) + [(node.sort_order, node.code)]

    for row in rows.values():
        row.depth = row.path.count(".")
    return sorted(rows.values(), key=key)
