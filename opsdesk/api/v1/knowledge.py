"""REST API: knowledge."""

from ninja import Router

router = Router()
