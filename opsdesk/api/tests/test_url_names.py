"""Every API operation has its own URL name: reverse() of one never gives another's address."""

import collections

from opsdesk.api.v1.api import api


def test_every_operation_has_a_unique_url_name():
    names = collections.Counter()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                names[path_view.url_name or operation.view_func.__name__] += 1
    assert [name for name, count in names.items() if count > 1] == []
