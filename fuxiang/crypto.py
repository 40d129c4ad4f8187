"""Encryption at rest and blind indexes for personal identifiers (docs/design.md §4.4).

ID and phone numbers are stored as AES-256-GCM ciphertext of the form
``<key id>$<base64(nonce || ciphertext || tag)>``. The key id travels with the value so keys can
rotate: every key that ever wrote a stored value stays in ``FUXIANG_DATA_KEYS`` until
``manage.py rotate_data_keys`` has re-encrypted everything with the active key. The column a
value belongs to is bound in as associated data, so a ciphertext copied into another column
does not decrypt.

Equality search goes through a keyed HMAC-SHA256 "blind index" of the normalised value; the
index key is separate from the encryption keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
KEY_BYTES = 32
SEPARATOR = "$"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id, tampering, wrong column)."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active_id: str
    index_key: bytes

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise ImproperlyConfigured(f"FUXIANG_DATA_KEY_ID {self.active_id!r} is not a known key")
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise ImproperlyConfigured(
                    f"FUXIANG_DATA_KEYS: key {key_id!r} must be {KEY_BYTES} bytes"
                )
            if SEPARATOR in key_id or not key_id:
                raise ImproperlyConfigured(f"FUXIANG_DATA_KEYS: key id {key_id!r} is not usable")
        if len(self.index_key) < KEY_BYTES:
            raise ImproperlyConfigured(f"FUXIANG_BLIND_INDEX_KEY must be ≥ {KEY_BYTES} bytes")


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64") from exc


def parse_keyring(data_keys: str, active_id: str, index_key: str) -> Keyring:
    """Build a keyring from the settings' strings; ``data_keys`` is ``id:base64,id:base64``."""
    keys: dict[str, bytes] = {}
    for item in data_keys.split(","):
        if not item.strip():
            continue
        key_id, _, encoded = item.strip().partition(":")
        keys[key_id] = _b64decode(encoded, f"FUXIANG_DATA_KEYS: key {key_id!r}")
    if not keys:
        raise ImproperlyConfigured("FUXIANG_DATA_KEYS holds no key")
    return Keyring(
        keys=keys,
        active_id=active_id or next(iter(keys)),
        index_key=_b64decode(index_key, "FUXIANG_BLIND_INDEX_KEY"),
    )


def _development_keyring(secret: str) -> Keyring:
    # Only reachable with DEBUG on (settings refuse to start otherwise): derive stable keys
    # from SECRET_KEY so a demo database stays readable across restarts.
    def derive(label: str) -> bytes:
        return hashlib.sha256(f"fuxiang-dev-{label}:{secret}".encode()).digest()

    return Keyring(keys={"dev": derive("data")}, active_id="dev", index_key=derive("index"))


@cache
def keyring() -> Keyring:
    if settings.FUXIANG_DATA_KEYS and settings.FUXIANG_BLIND_INDEX_KEY:
        return parse_keyring(
            settings.FUXIANG_DATA_KEYS,
            settings.FUXIANG_DATA_KEY_ID,
            settings.FUXIANG_BLIND_INDEX_KEY,
        )
    return _development_keyring(settings.SECRET_KEY)


@cache
def _cipher(key_id: str) -> AESGCM:
    try:
        return AESGCM(keyring().keys[key_id])
    except KeyError as exc:
        raise DecryptionError(f"unknown data key id {key_id!r}") from exc


def encrypt(plaintext: str, *, column: str) -> str:
    """Encrypt ``plaintext`` for storage in ``column`` (e.g. ``"member.id_number"``)."""
    return encrypter(column)(plaintext)


def encrypter(column: str) -> Callable[[str], str]:
    """``encrypt`` for many values of one column (a synthetic county encrypts ~780,000): the
    active key, its cipher and the column's bytes are looked up once. Each value still gets
    its own nonce from ``os.urandom``, in the process that encrypts it."""
    ring = keyring()
    cipher, prefix, column_bytes = (
        _cipher(ring.active_id),
        ring.active_id + SEPARATOR,
        column.encode(),
    )

    def seal(plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = cipher.encrypt(nonce, plaintext.encode(), column_bytes)
        return prefix + base64.b64encode(nonce + sealed).decode()

    return seal


def decrypt(stored: str, *, column: str) -> str:
    key_id, sep, encoded = stored.partition(SEPARATOR)
    if not sep:
        raise DecryptionError("value is not in key-id$ciphertext form")
    raw = base64.b64decode(encoded)
    try:
        plain = _cipher(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode())
    except Exception as exc:  # cryptography raises InvalidTag without a message
        raise DecryptionError(f"value in {column} does not decrypt") from exc
    return plain.decode()


def key_id_of(stored: str) -> str:
    return stored.partition(SEPARATOR)[0]


def needs_rotation(stored: str) -> bool:
    return key_id_of(stored) != keyring().active_id


def blind_index(normalised: str, *, kind: str) -> str:
    """Keyed, deterministic digest of ``normalised`` for equality search (64 hex chars).

    ``kind`` ("resident_id", "phone") keeps equal strings of different kinds apart.
    """
    mac = _index_mac(keyring().index_key).copy()  # the key's pads are hashed once
    mac.update(f"{kind}:{normalised}".encode())
    return mac.hexdigest()


def blind_indexer(kind: str) -> Callable[[str], str]:
    """``blind_index`` for many values of one kind, with the HMAC already fed the key and the
    kind's prefix (the same digests: HMAC reads its message as one stream)."""
    fed = _index_mac(keyring().index_key).copy()
    fed.update(f"{kind}:".encode())

    def index(normalised: str) -> str:
        mac = fed.copy()
        mac.update(normalised.encode())
        return mac.hexdigest()

    return index


@cache
def _index_mac(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with ``key`` and fed nothing yet; callers use copies."""
    return hmac.new(key, digestmod=hashlib.sha256)
