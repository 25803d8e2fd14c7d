"""Identity numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015): validation, and how
an identity number is kept.

An identity number is stored twice, never in clear:
- `id_hash`: HMAC-SHA256 under GRIDMAP_PERSONAL_KEY. Every look-up (import duplicates, intake naming a
  person, "is this person already registered?") matches on it, so no code path needs the clear value to
  find a person. A plain SHA-256 would not do: an identity number has ~10^9 plausible values (region,
  birth date, sequence), which a laptop enumerates in minutes; without the key the HMAC cannot be.
- `id_cipher`: the clear value encrypted by PostgreSQL's pgcrypto (`pgp_sym_encrypt`, AES-256 with an
  integrity check) under the same key, decrypted only when a user with the personal-data right reads
  the record (and that read is audited). Why encrypted and not clear: the database is read by more than
  the app — backups and dumps, replicas, the analysts' QGIS and psql connections, the OGC and export
  code paths — and none of them holds the key, so a leaked dump or a wrong column in an export shows
  ciphertext. The key is passed as a bound parameter per statement and lives only in the app's
  settings (environment), not in the database.

Rotating the key means re-hashing and re-encrypting every row (decrypt with the old, encrypt with the
new); GRIDMAP_PERSONAL_KEY must therefore be set explicitly in production (it defaults to a key derived
from SECRET_KEY so that a development checkout works).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import operator
import re
import time

from django.conf import settings

from geo.errors import InvalidInput

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"[1-9][0-9]{16}[0-9X]")

# GB 32100: 31 characters (no I, O, Z, S, V), weights 3^i mod 31.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}")


ID_OFFSET = 48 * sum(ID_WEIGHTS)  # the weighted sum of 17 ASCII "0"s


def id_check_digit(first17: str) -> str:
    # Bytes times weights in C (map/operator.mul): an import checks 100,000 numbers in a few tenths of a second.
    return ID_CHECK[(sum(map(operator.mul, first17.encode("ascii"), ID_WEIGHTS)) - ID_OFFSET) % 11]


def normalize_id(value: object, field: str = "id_number") -> str:
    """A valid 18-character identity number (lower-case x upper-cased), or InvalidInput naming the field
    and what is wrong: the length/characters, the birth date, or the check digit (GB 11643-1999)."""
    text = str(value or "").strip().upper()
    if not ID_RE.fullmatch(text):
        raise InvalidInput(f"{field}: an identity number is 17 digits and a check digit (0-9 or X), got {text!r}",
                           field=field)
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise InvalidInput(f"{field}: {text[6:14]} is not a birth date", field=field) from exc
    if birth.year < 1880 or birth > _today():
        raise InvalidInput(f"{field}: birth date {birth} is out of range", field=field)
    expected = id_check_digit(text[:17])
    if text[17] != expected:
        raise InvalidInput(f"{field}: check digit is {text[17]}, expected {expected} (GB 11643)", field=field)
    return text


def _today() -> dt.date:
    """Today, read at most once a minute: dt.date.today() costs a system call per row in an import."""
    # time.monotonic() is one vDSO read; dt.datetime.now() built an object (twice) per row.
    now = time.monotonic()
    if _TODAY[0] is None or now - _TODAY[1] > 60:
        _TODAY[:] = [dt.date.today(), now]
    return _TODAY[0]


_TODAY: list = [None, 0.0]


def birth_date(id_number: str) -> dt.date:
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender(id_number: str) -> str:
    """'M' or 'F' from the sequence number's parity (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: object, field: str = "credit_code") -> str:
    """A valid unified social credit code (GB 32100-2015), or InvalidInput naming the field."""
    text = str(value or "").strip().upper()
    if not USCC_RE.fullmatch(text):
        raise InvalidInput(f"{field}: a unified social credit code is 18 characters (digits and capitals "
                           f"except I, O, S, V, Z; characters 3-8 the region code), got {text!r}", field=field)
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise InvalidInput(f"{field}: check character is {text[17]}, expected {expected} (GB 32100)", field=field)
    return text


def personal_key() -> bytes:
    """The key of the identity hashes and ciphertexts (see the module's docstring)."""
    configured = getattr(settings, "GRIDMAP_PERSONAL_KEY", "")
    if configured:
        return configured.encode()
    return hashlib.sha256(b"gridmap-personal:" + settings.SECRET_KEY.encode()).hexdigest().encode()


def id_hash(id_number: str) -> str:
    """The keyed hash every look-up matches on (hex, 64 characters)."""
    return hmac.digest(personal_key(), id_number.encode(), "sha256").hex()


_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def hasher():
    """A function id → hash (the same as id_hash) with the key read once, for imports of many rows.

    HMAC (RFC 2104) with its two keyed SHA-256 states computed once and copied per number: half the CPU
    of a one-shot hmac.digest per row, which keys both states anew (~0.2 s per 100,000 rows)."""
    key = personal_key()
    if len(key) > 64:  # SHA-256's block: a longer key is hashed first, as hmac does
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner, outer = hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))

    def digest(number: str) -> str:
        step = inner.copy()
        step.update(number.encode())
        last = outer.copy()
        last.update(step.digest())
        return last.hexdigest()

    return digest


# pgcrypto options: AES-256, and a salted key without iterations (the key is random, not a password,
# so stretching it would only cost time: 627,000 rows at a full-scale load). The call itself is one SQL
# function, people_encrypt_id(clear, key) (people/sql/functions/10_identity.sql), with these options.
PGP_OPTIONS = "cipher-algo=aes256, compress-algo=0, s2k-mode=1"
ENCRYPT_SQL = "people_encrypt_id(%(clear)s, %(key)s)"
