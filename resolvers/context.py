"""What every resolver gets as `info.context`: the store, the loaders and the caller."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from store import Store, SubjectLink, keys

from .cursors import CursorSigner
from .loaders import Loaders


def _retrieve(future: asyncio.Future[object]) -> None:
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
    auth_error: str | None = None  # set when a token was sent but is not valid
    loaders: Loaders = field(init=False)
    _prefetch: asyncio.Future[object] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)
        if self.subject is not None and len(self.subject) <= keys.MAX_SUBJECT_LENGTH:
            # Signed-in requests nearly always need the viewer (viewer fields, every
            # mutation): start loading the identity link now, so it rides in the first
            # batch and what depends on it (viewerVote) is one level earlier.
            self._prefetch = self.loaders.items.load(keys.subject_key(self.subject))
            self._prefetch.add_done_callback(_retrieve)

    async def settle(self) -> None:
        """Waits for work started on the request's behalf, so none outlives it (on Lambda,
        a pending task would sit in the frozen container until a later invocation)."""
        if self._prefetch is not None:
            await asyncio.gather(self._prefetch, return_exceptions=True)

    async def viewer_id(self) -> str | None:
        """The caller's user id; None if anonymous or without a profile."""
        if self.subject is None:
            return None
        link = await self.loaders.items.load(keys.subject_key(self.subject))
        return link.user_id if isinstance(link, SubjectLink) else None

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
