"""One pipeline for inbound e-mail: a raw RFC 5322 message in, a ticket or a comment out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What became of one message.

    ``action``: created | replied | ignored | rejected; ``ticket``: the ticket's number;
    ``reason``: short and machine-readable ("duplicate", "auto-reply", "bounce",
    "too-large", "malformed", "unknown-sender-refused", "not-allowed", "rate-limited", …).
    """

    action: str
    ticket: int | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        """The JSON line `flask mail-in` prints."""
        return {"action": self.action, "ticket": self.ticket, "reason": self.reason}


def handle(
    raw: bytes,
    *,
    area_id: int | None = None,
    type_key: str | None = None,
    mailbox: str | None = None,
) -> Outcome:
    """Handle one message (flushed, not committed: the caller commits once per message)."""
    raise NotImplementedError("mailin.service.handle: being built on branch mailin")
