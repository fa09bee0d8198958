"""Delivery of messages (email, webhook, WeCom/DingTalk/Feishu robots); knows nothing about incidents.

Callers record a message with `services.delivery_enqueue` inside their own transaction; the
`deliveries_send` task sends it after the commit, retries with backoff and never sends a key twice.
"""
