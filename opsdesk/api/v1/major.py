"""REST API: major."""

from ninja import Router

router = Router()
