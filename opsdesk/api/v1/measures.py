"""REST API: measures."""

from ninja import Router

router = Router()
