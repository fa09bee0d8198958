"""REST API: reviews."""

from ninja import Router

router = Router()
