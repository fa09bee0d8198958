"""REST API v1."""

from .api import api

__all__ = ["api"]
