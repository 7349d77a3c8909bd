"""What every resolver gets as `info.context`: the store, the loaders and the caller."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from model import InvalidInput, SubjectLink
from store import Store

from .cursors import CursorSigner
from .loaders import Loaders


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Marks a prefetch's failure as seen; whoever awaits the same load gets it again."""
    if not future.cancelled():
        future.exception()


class Unauthenticated(Exception):
    """No valid credentials for an operation that needs them."""


class NoProfile(Exception):
    """The caller is authenticated but has not created a profile yet."""


@dataclass
class Context:
    store: Store
    cursors: CursorSigner
    request_id: str
    subject: str | None = None  # the token's subject: None for anonymous callers
    # The operation needs the caller's user id (viewer fields, every mutation but
    # createUser): its identity link is loaded in the first wave, with the root fields'
    # loads, so what depends on it (viewerVote) comes a round trip earlier.
    prefetch_viewer: bool = False
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)
        if self.prefetch_viewer and self.subject is not None:
            with contextlib.suppress(InvalidInput):  # an over-long subject: refused later
                self.loaders.items.load(SubjectLink.key_of(subject=self.subject)).add_done_callback(
                    _retrieve
                )

    async def settle(self) -> None:
        """Waits for work started on the request's behalf, so none outlives it (on Lambda,
        a pending task would sit in the frozen container until a later invocation)."""
        await self.loaders.waves.close()

    async def viewer_id(self) -> str | None:
        """The caller's user id; None if anonymous or without a profile."""
        if self.subject is None:
            return None
        link = await self.loaders.get(SubjectLink.key_of(subject=self.subject))
        return link.user_id if link is not None else None

    def require_subject(self) -> str:
        if self.subject is None:
            raise Unauthenticated("sign in: this operation needs an Authorization bearer token")
        return self.subject

    async def require_viewer_id(self) -> str:
        self.require_subject()
        user_id = await self.viewer_id()
        if user_id is None:
            raise NoProfile("create your profile with createUser first")
        return user_id
