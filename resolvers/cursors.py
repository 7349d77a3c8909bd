"""Signed cursors: the store's opaque cursor plus an HMAC bound to the list it came from.

A tampered cursor, or one issued for another list (another user's posts, another tag), fails
verification and is refused as bad input instead of being followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from model import InvalidInput


class CursorSigner:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _mac(self, list_id: str, cursor: str) -> str:
        digest = hmac.new(self._secret, f"{list_id}\n{cursor}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:18]).decode()

    def sign(self, list_id: str, cursor: str) -> str:
        return f"{cursor}.{self._mac(list_id, cursor)}"

    def verify(self, list_id: str, signed: str) -> str:
        """The store cursor inside `signed`, if it was issued for `list_id`."""
        cursor, _, mac = signed.rpartition(".")
        if not cursor or not hmac.compare_digest(mac, self._mac(list_id, cursor)):
            raise InvalidInput("invalid cursor: it was not issued for this list")
        return cursor
