"""Secrets the desk must give back (a mailbox's password), sealed with a key from SECRET_KEY.

Encrypt-then-MAC from the standard library alone: a keystream of HMAC-SHA256 blocks over a
random 16-byte nonce and a counter (HMAC as a pseudo-random function in counter mode), then an
HMAC-SHA256 tag over the version, nonce and ciphertext, checked in constant time before
anything is decrypted. The two keys are derived from SECRET_KEY with HMAC and distinct labels,
so they are never the session-signing key itself. A database dump alone does not reveal the
passwords; a changed SECRET_KEY makes them unreadable (SecretError), and the administrator
types them again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = b"sb1"
NONCE_BYTES = 16
TAG_BYTES = 32
BLOCK = hashlib.sha256().digest_size


class SecretError(ValueError):
    """The sealed text was not made with this key, or was altered."""


def _keys(secret_key: str) -> tuple[bytes, bytes]:
    """The encryption and authentication keys derived from SECRET_KEY."""
    root = secret_key.encode()
    encrypt = hmac.new(root, b"servicedesk secret box: encryption", hashlib.sha256).digest()
    sign = hmac.new(root, b"servicedesk secret box: authentication", hashlib.sha256).digest()
    return encrypt, sign


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    """length bytes of HMAC-SHA256(key, nonce || counter) blocks."""
    blocks = (length + BLOCK - 1) // BLOCK
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        for counter in range(blocks)
    )[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def seal(secret_key: str, plain: str) -> str:
    """Encrypt and authenticate plain text; the result is ASCII, safe for a text column."""
    encrypt, sign = _keys(secret_key)
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = plain.encode()
    cipher = _xor(data, _keystream(encrypt, nonce, len(data)))
    tag = hmac.new(sign, VERSION + nonce + cipher, hashlib.sha256).digest()
    return VERSION.decode() + ":" + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(secret_key: str, sealed: str) -> str:
    """Check and decrypt what seal() made with the same key; SecretError otherwise."""
    prefix, _, body = sealed.partition(":")
    if prefix.encode() != VERSION:
        raise SecretError("unknown format")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError as exc:
        raise SecretError("not base64") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SecretError("too short")
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    encrypt, sign = _keys(secret_key)
    expected = hmac.new(sign, VERSION + nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise SecretError("wrong key or altered")
    try:
        return _xor(cipher, _keystream(encrypt, nonce, len(cipher))).decode()
    except UnicodeDecodeError as exc:  # cannot happen once the tag matched
        raise SecretError("not text") from exc
