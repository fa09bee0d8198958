"""List query parameters become selector filters in the domain (shared with the web queues)."""

from opsdesk.incidents.filters import filters_from_query

__all__ = ["filters_from_query"]
