"""Password hashing: argon2 for everything new; legacy unsalted MD5 accepted once, then re-hashed."""
import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_MD5 = re.compile(r"^[0-9a-f]{32}$")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def is_legacy(stored: str) -> bool:
    return bool(_MD5.match(stored or ""))


def verify(stored: str, password: str) -> bool:
    if is_legacy(stored):
        return hmac.compare_digest(stored, hashlib.md5(password.encode()).hexdigest())
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return is_legacy(stored) or _hasher.check_needs_rehash(stored)
