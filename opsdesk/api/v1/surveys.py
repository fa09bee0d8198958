"""REST API: surveys."""

from ninja import Router

router = Router()
