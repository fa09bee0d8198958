"""The audit log of security events, and the tamper-evident hash chains (issue 9)."""
