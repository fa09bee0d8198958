"""Intake services: mail (mail.py, mail_incidents.py) and monitoring alerts (alerts.py)."""
