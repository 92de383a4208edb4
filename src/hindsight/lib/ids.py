"""Public identifiers: a short type prefix and 16 random base32 characters (80 bits)."""

import base64
import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
# base64's base32 alphabet, letter for letter onto ours: 10 random bytes are 16 characters.
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)


def new_id(prefix: str) -> str:
    # One call for the randomness (not one per character: a create makes dozens of ids).
    return prefix + "_" + base64.b32encode(secrets.token_bytes(10)).decode().translate(_CROCKFORD)
