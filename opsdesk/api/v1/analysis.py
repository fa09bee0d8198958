"""REST API: process analysis from the incident history."""

from ninja import Router

router = Router()
