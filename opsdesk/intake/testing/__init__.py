"""Test helpers of the intake app: a real Dovecot IMAP server (dovecot.py)."""
