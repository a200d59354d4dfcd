"""E-mail in: messages piped by the MTA (`flask mail-in`) or fetched over IMAP become tickets
and comments, through one pipeline (service.handle), exactly once."""
