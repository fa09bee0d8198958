"""Multi-factor sign-in: TOTP with recovery codes (issue 9)."""
