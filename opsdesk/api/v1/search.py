"""REST API: search."""

from ninja import Router

router = Router()
