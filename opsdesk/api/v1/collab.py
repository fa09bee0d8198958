"""REST API: collab."""

from ninja import Router

router = Router()
