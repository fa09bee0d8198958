"""REST API: vendors."""

from ninja import Router

router = Router()
