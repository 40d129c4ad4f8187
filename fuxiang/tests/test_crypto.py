from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from fuxiang import crypto

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()
INDEX = base64.b64encode(b"I" * 32).decode()


@pytest.fixture
def keys(settings):
    """Two data keys; tests switch the active one to simulate rotation."""

    def use(active: str) -> None:
        settings.FUXIANG_DATA_KEYS = f"a:{KEY_A},b:{KEY_B}"
        settings.FUXIANG_DATA_KEY_ID = active
        settings.FUXIANG_BLIND_INDEX_KEY = INDEX
        crypto.keyring.cache_clear()
        crypto._cipher.cache_clear()

    yield use
    crypto.keyring.cache_clear()
    crypto._cipher.cache_clear()


def test_value_round_trips_and_ciphertext_hides_it(keys):
    keys("a")
    stored = crypto.encrypt("430223198005171234", column="member.id_number")
    assert "430223198005171234" not in stored
    assert stored.startswith("a$")
    assert crypto.decrypt(stored, column="member.id_number") == "430223198005171234"


def test_same_value_encrypts_differently_each_time(keys):
    keys("a")
    first = crypto.encrypt("13812345678", column="member.phone")
    second = crypto.encrypt("13812345678", column="member.phone")
    assert first != second


def test_ciphertext_moved_to_another_column_does_not_decrypt(keys):
    keys("a")
    stored = crypto.encrypt("13812345678", column="member.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, column="member.id_number")


def test_old_key_still_decrypts_after_rotation(keys):
    keys("a")
    written_with_a = crypto.encrypt("13812345678", column="member.phone")
    keys("b")
    assert crypto.needs_rotation(written_with_a)
    assert crypto.decrypt(written_with_a, column="member.phone") == "13812345678"
    assert crypto.encrypt("x", column="c").startswith("b$")


def test_blind_index_is_deterministic_keyed_and_kind_separated(keys):
    keys("a")
    first = crypto.blind_index("13812345678", kind="phone")
    assert first == crypto.blind_index("13812345678", kind="phone")
    assert first != crypto.blind_index("13812345678", kind="resident_id")
    assert "13812345678" not in first


def test_the_one_column_encrypter_and_indexer_match_encrypt_and_blind_index(keys):
    keys("b")
    seal = crypto.encrypter("member.id_number")
    first, second = seal("430223198005171234"), seal("430223198005171234")
    assert first.startswith("b$")
    assert first != second  # a nonce of its own each
    assert crypto.decrypt(first, column="member.id_number") == "430223198005171234"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(first, column="member.phone")
    index = crypto.blind_indexer("resident_id")
    for value in ("430223198005171234", "43022319800517123X", ""):
        assert index(value) == crypto.blind_index(value, kind="resident_id")
        assert index(value) != crypto.blind_index(value, kind="phone")


def test_short_or_unknown_keys_are_refused():
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_keyring(f"a:{base64.b64encode(b'short').decode()}", "a", INDEX)
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_keyring(f"a:{KEY_A}", "missing", INDEX)
