"""Changes the process owner makes on the settings pages: the matrix, routing rules, categories.

Each service validates everything before it writes, raises InvalidInput with a message per
field, and writes in one transaction, so a refused change leaves nothing half-saved. Rows are
deactivated, never deleted: incidents keep pointing at them.
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput
from opsdesk.core.services import model_update

from .models import (Category, Impact, Priority, PriorityMatrixCell, PriorityMatrixChange,
                     RoutingRule, Urgency)

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
RULE_FIELDS = ["name_zh", "name_en", "category", "service", "location", "group", "order",
               "is_active"]


def matrix_cell_key(impact: int, urgency: int) -> str:
    """The field name of one matrix cell in forms and error messages."""
    return f"cell_{impact}_{urgency}"


@transaction.atomic
def priority_matrix_update(*, by, cells: dict[tuple[int, int], int]) -> int:
    """Set the priority of matrix cells (impact, urgency) → level; return how many changed.

    All cells are checked first; each changed cell is saved (which forgets the in-memory matrix,
    so the next incident uses it) and recorded with who changed it.
    """
    impacts, urgencies = set(lookups.rows_by_pk(Impact)), set(lookups.rows_by_pk(Urgency))
    levels = set(Priority.objects.values_list("level", flat=True))
    errors = {matrix_cell_key(i, u): _("Choose one of the priorities.")
              for (i, u), level in cells.items()
              if i not in impacts or u not in urgencies or level not in levels}
    if errors:
        raise InvalidInput(errors=errors)
    existing = {(c.impact_id, c.urgency_id): c
                for c in PriorityMatrixCell.objects.select_for_update()}
    changed = 0
    for (impact, urgency), level in sorted(cells.items()):
        cell = existing.get((impact, urgency)) or PriorityMatrixCell(impact_id=impact,
                                                                     urgency_id=urgency)
        old = cell.priority_id
        if old == level:
            continue
        cell.priority_id = level
        cell.save()
        PriorityMatrixChange.objects.create(impact_id=impact, urgency_id=urgency,
                                            old_priority_id=old, new_priority_id=level,
                                            changed_by=by)
        changed += 1
    return changed


def routing_rule_create(*, data: dict) -> RoutingRule:
    """Add a routing rule from cleaned form data (names, criteria, group, order, active)."""
    rule = RoutingRule(**{f: data[f] for f in RULE_FIELDS if f in data})
    _routing_rule_check(rule)
    rule.save()
    return rule


@transaction.atomic
def routing_rule_update(*, rule: RoutingRule, data: dict) -> list[str]:
    """Change a routing rule; return the names of the fields that changed."""
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    columns = {f: RoutingRule._meta.get_field(f).attname for f in RULE_FIELDS}
    before = {f: getattr(rule, column) for f, column in columns.items()}
    for field in RULE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    _routing_rule_check(rule)
    changed = [f for f, column in columns.items() if getattr(rule, column) != before[f]]
    if changed:
        rule.save(update_fields=changed + ["updated_at"])
    return changed


def _routing_rule_check(rule: RoutingRule) -> None:
    errors = {}
    rule.name_zh, rule.name_en = (rule.name_zh or "").strip(), (rule.name_en or "").strip()
    if not (rule.name_zh or rule.name_en):
        errors["name_zh"] = _("Give the rule a name in at least one language.")
    if rule.category_id is None and rule.service_id is None and rule.location_id is None:
        errors["category"] = _("Choose at least a category, a service or a location.")
    if rule.group_id is None:
        errors["group"] = _("Choose the group that gets the incidents.")
    elif not rule.group.is_active:
        errors["group"] = _("This group is inactive: choose an active group.")
    if errors:
        raise InvalidInput(errors=errors)


def category_create(*, parent: Category | None, code: str, name_zh: str, name_en: str,
                    sort_order: int = 0) -> Category:
    """Add a category below parent (or a root); its code must be new among its siblings."""
    code, name_zh, name_en = code.strip(), name_zh.strip(), name_en.strip()
    errors = _category_name_errors(name_zh, name_en)
    path = f"{parent.path}.{code}" if parent else code
    if not CODE_RE.match(code):
        errors["code"] = _("Use 1 to 32 letters, digits, hyphens or underscores.")
    elif Category.objects.filter(path=path).exists():
        errors["code"] = _("This parent already has a category with this code.")
    if parent is not None and not parent.is_active:
        errors["parent"] = _("This category is inactive: activate it before adding to it.")
    if errors:
        raise InvalidInput(errors=errors)
    return Category.objects.create(parent=parent, code=code, name_zh=name_zh, name_en=name_en,
                                   sort_order=sort_order)


def category_rename(*, category: Category, name_zh: str, name_en: str,
                    sort_order: int | None = None) -> list[str]:
    """Rename a category in both languages (and move it among its siblings)."""
    name_zh, name_en = name_zh.strip(), name_en.strip()
    errors = _category_name_errors(name_zh, name_en)
    if errors:
        raise InvalidInput(errors=errors)
    data = {"name_zh": name_zh, "name_en": name_en}
    if sort_order is not None:
        data["sort_order"] = sort_order
    return model_update(instance=category, data=data, fields=list(data))


@transaction.atomic
def category_set_active(*, category: Category, active: bool) -> int:
    """Deactivate a category with everything below it, or activate one; return rows changed.

    A category can be activated only under an active parent, so an active node never hangs
    below an inactive one.
    """
    if active:
        if category.parent_id and not Category.objects.get(pk=category.parent_id).is_active:
            raise InvalidInput(_("Activate the parent category first."),
                               errors={"parent": _("Activate the parent category first.")})
        changed = Category.objects.filter(pk=category.pk, is_active=False).update(is_active=True)
    else:
        changed = (Category.objects.filter(is_active=True)
                   .filter(path__startswith=category.path + ".").update(is_active=False)
                   + Category.objects.filter(pk=category.pk, is_active=True)
                   .update(is_active=False))
    lookups.forget(Category)  # update() skips save(), which would forget it
    return changed


def _category_name_errors(name_zh: str, name_en: str) -> dict:
    errors = {}
    if not name_zh:
        errors["name_zh"] = _("Enter the Chinese name.")
    if not name_en:
        errors["name_en"] = _("Enter the English name.")
    return errors
