"""E-mail addresses, one rule for all: how they compare, how long they may be, which are valid.

The sign-in and invitation forms, the people rules, filing for a client by e-mail and
`flask create-admin` read them here, so an address one of them accepts the others accept too.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # the longest address SMTP carries (RFC 5321); the columns are as long


def normalise_email(address: str) -> str:
    """Compare e-mail addresses case-insensitively and without stray spaces."""
    return address.strip().lower()


def is_email(address: str) -> bool:
    """Tell whether mail could be addressed to this: its syntax and length (no DNS asked)."""
    if not address or len(address) > MAX_LENGTH:
        return False
    try:
        # The same call WTForms' Email validator made: syntax only, international allowed.
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
