"""The process owner's changes to matrix, routing rules, categories; refusals write nothing."""

import pytest

from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput
from opsdesk.core.testing.factories import LocationFactory, ServiceFactory
from opsdesk.reference import editing
from opsdesk.reference.models import Category, PriorityMatrixCell, PriorityMatrixChange, RoutingRule
from opsdesk.reference.selectors import (category_tree, priority_from_matrix,
                                         priority_matrix_grid, routing_rule_list,
                                         routing_rule_match)


def test_matrix_update_saves_changed_cells_and_forgets_the_cached_matrix(org):
    assert priority_from_matrix(impact_id=1, urgency_id=4) == 2  # cached now
    changed = editing.priority_matrix_update(by=org.owner, cells={(1, 4): 1, (2, 2): 2})
    assert changed == 1  # (2, 2) already was P2
    assert priority_from_matrix(impact_id=1, urgency_id=4) == 1
    assert priority_matrix_grid()[(1, 4)] == 1
    assert PriorityMatrixChange.objects.get().changed_by == org.owner


def test_matrix_update_refuses_an_unknown_level_and_writes_nothing(org):
    with pytest.raises(InvalidInput) as refused:
        editing.priority_matrix_update(by=org.owner, cells={(1, 4): 1, (4, 4): 7, (9, 1): 1})
    assert set(refused.value.errors) == {"cell_4_4", "cell_9_1"}
    assert PriorityMatrixCell.objects.get(impact=1, urgency=4).priority_id == 2
    assert not PriorityMatrixChange.objects.exists()


def test_a_missing_cell_is_created_from_the_formula_value(org):
    PriorityMatrixCell.objects.filter(impact=3, urgency=3).delete()
    lookups.forget(PriorityMatrixCell)
    assert priority_matrix_grid()[(3, 3)] == 3
    editing.priority_matrix_update(by=org.owner, cells={(3, 3): 2})
    assert PriorityMatrixCell.objects.get(impact=3, urgency=3).priority_id == 2
    assert PriorityMatrixChange.objects.get().old_priority_id is None


def _rule(org, group="NET2", **criteria):
    return editing.routing_rule_create(data={"name_en": "R", "name_zh": "", "order": 100,
                                             "group": org.groups[group], "is_active": True,
                                             **criteria})


def test_rule_match_is_most_specific_and_documented_order_is_the_list_order(org):
    root = Category.objects.create(code="K", name_zh="甲", name_en="K")
    leaf = Category.objects.create(code="L", parent=root, name_zh="乙", name_en="L")
    svc, site = ServiceFactory(code="S1"), LocationFactory(code="L1")
    by_site = _rule(org, "DESK", location=site)
    by_root = _rule(org, "NET2", category=root)
    by_leaf = _rule(org, "NET3", category=leaf)
    by_service = _rule(org, "APP2", service=svc)
    by_two = _rule(org, "DESK", category=root, location=site)
    assert routing_rule_match(category_id=leaf.pk, service_id=None, location_id=None) == by_leaf
    assert routing_rule_match(category_id=leaf.pk, service_id=svc.pk,
                              location_id=None) == by_service
    assert routing_rule_match(category_id=leaf.pk, service_id=None,
                              location_id=site.pk) == by_two
    assert routing_rule_match(category_id=None, service_id=None, location_id=site.pk) == by_site
    assert routing_rule_match(category_id=None, service_id=None, location_id=None) is None
    assert routing_rule_list() == [by_two, by_service, by_leaf, by_root, by_site]


def test_a_category_rule_does_not_match_a_sibling_with_a_longer_code(org):
    a = Category.objects.create(code="QQ", name_zh="网", name_en="Net")
    b = Category.objects.create(code="QQX", name_zh="网X", name_en="NetX")
    _rule(org, category=a)
    assert routing_rule_match(category_id=b.pk, service_id=None, location_id=None) is None


@pytest.mark.parametrize("data, field", [
    ({"name_en": "", "name_zh": ""}, "name_zh"),
    ({"category": None, "service": None, "location": None}, "category"),
    ({"group": None}, "group"),
])
def test_a_bad_rule_is_refused(org, data, field):
    base = {"name_en": "R", "service": ServiceFactory(code="S9"), "group": org.groups["NET2"]}
    with pytest.raises(InvalidInput) as refused:
        editing.routing_rule_create(data={**base, **data})
    assert field in refused.value.errors
    assert not RoutingRule.objects.exists()


def test_a_rule_cannot_send_to_an_inactive_group(org):
    group = org.groups["APP2"]
    group.is_active = False
    group.save()
    with pytest.raises(InvalidInput) as refused:
        _rule(org, "APP2", service=ServiceFactory(code="S2"))
    assert "group" in refused.value.errors


def test_category_tree_orders_siblings_by_sort_order_then_code(org):
    top = Category.objects.create(code="ZZ", name_zh="顶", name_en="Top", sort_order=0)
    Category.objects.create(code="B", parent=top, name_zh="乙", name_en="B", sort_order=1)
    Category.objects.create(code="C", parent=top, name_zh="丙", name_en="C", sort_order=0)
    Category.objects.create(code="ZZ-X", name_zh="戊", name_en="ZZ-X", sort_order=0)
    paths = [c.path for c in category_tree() if c.path.startswith("ZZ")]
    assert paths == ["ZZ", "ZZ.C", "ZZ.B", "ZZ-X"]


def test_deactivating_a_category_deactivates_its_subtree_and_forgets_the_cache(org):
    top = editing.category_create(parent=None, code="T", name_zh="顶", name_en="Top")
    child = editing.category_create(parent=top, code="C", name_zh="子", name_en="Child")
    assert lookups.lookup(Category, child.pk).is_active
    assert editing.category_set_active(category=top, active=False) == 2
    assert not lookups.lookup(Category, child.pk).is_active
    with pytest.raises(InvalidInput):
        editing.category_create(parent=Category.objects.get(pk=top.pk), code="D",
                                name_zh="丁", name_en="D")
