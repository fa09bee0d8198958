"""Delivery status notifications (DSNs): did delivery fail, or is it only delayed?

A DSN (RFC 3464, inside a multipart/report of RFC 6522) has one block of fields per recipient,
and its Action field says what happened to that recipient: "failed" (a bounce: the mail will
not arrive), "delayed" (still being retried; it may arrive yet), or "delivered", "relayed",
"expanded" (success notices). Mail servers that send no DSN are known by their sender and
subject (parsers.email). Pure functions, no database.

The kinds, as ParsedMail.auto_kind spells them; none of them is ever answered:
- "bounce": some recipient failed; also a report whose actions cannot be read, as before;
- "delayed": nobody failed and some recipient is delayed;
- "delivery-report": every recipient was delivered, relayed or expanded.
"""

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

DSN_PARTS = ("message/delivery-status", "message/global-delivery-status")
SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_BLOCK_SEPARATOR = re.compile(r"\r?\n[ \t]*\r?\n")
# Delay notices of servers that send no DSN: sendmail, Postfix, Exchange, Gmail, Chinese ones.
DELAY_SUBJECT = re.compile(
    r"\s*(warning: could not send message for past|delayed mail|delivery delayed"
    r"|delivery status notification \(delay\)|邮件延迟|延迟投递|投递延迟|傳送延遲|延遲傳送)",
    re.IGNORECASE)


def dsn_recipients(message: Message) -> tuple[tuple[str, str], ...]:
    """(action, recipient address) for every per-recipient block of the mail's DSN parts."""
    found = []
    for part in message.walk():
        if part.get_content_type() in DSN_PARTS:
            found.extend(_recipient(block) for block in _blocks(part))
    return tuple(item for item in found if item[0])


def dsn_kind(recipients: tuple[tuple[str, str], ...]) -> str:
    """"bounce", "delayed" or "delivery-report" for a DSN's (action, recipient) pairs."""
    actions = {action for action, _address in recipients}
    if "failed" in actions or not actions & (SUCCESS_ACTIONS | {"delayed"}):
        return "bounce"
    return "delayed" if "delayed" in actions else "delivery-report"


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a delivery-status part.

    The stdlib parser reads message/delivery-status as a list of header blocks, but reads
    message/global-delivery-status (RFC 6533) as one message whose body holds the per-recipient
    blocks; so a block's body, if any, is read as more blocks.
    """
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _text_blocks(_text(part))
    blocks = []
    for block in payload:
        if isinstance(block, Message):
            blocks.append(block)
            if not block.is_multipart():
                blocks.extend(_text_blocks(_text(block)))
    return blocks


def _text(part: Message) -> str:
    data = part.get_payload(decode=True)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")


def _text_blocks(text: str) -> list[Message]:
    parser = HeaderParser(policy=compat32)
    return [parser.parsestr(chunk + "\n") for chunk in _BLOCK_SEPARATOR.split(text)
            if chunk.strip()]


def _recipient(block: Message) -> tuple[str, str]:
    """(action, address) of a per-recipient block; ("", "") for the per-message block."""
    action = str(block.get("action") or "").split("(")[0].strip().lower()
    recipient = str(block.get("final-recipient") or block.get("original-recipient") or "")
    _type, _semicolon, address = recipient.partition(";")
    return action, (address or recipient).strip().strip("<>").lower()
