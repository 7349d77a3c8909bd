"""Bearer tokens: HS256 with JWT_SECRET, else RS256 against JWKS_URL (Cognito, any OIDC)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:
    import jwt

# PyJWT is imported where a token is handled, not with this module: it imports cryptography
# (27 ms of a Lambda cold start) whether or not the configured algorithm needs it, and an
# anonymous request needs neither. bench.cold_start reports a signed-in first invocation.

# Tokens kept verified (a few hundred bytes each): a client sends the same token with every
# request until it expires, and verifying it again (base64, JSON, an HMAC on every request;
# for RS256 a thread hop to the key set as well) would find what it found before.
VERIFIED_TOKENS = 1024


class InvalidToken(Exception):
    """The Authorization header was sent but does not hold a valid token."""


class Authenticator:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.verifications = 0  # tokens decoded and verified (the others were known valid)
        # Made with the first token: PyJWKClient fetches and caches the key set on first use.
        self._jwks: jwt.PyJWKClient | None = None
        # Token -> its claims, once its signature, issuer and audience have been verified.
        # Only the times can change what a token is worth: checked again at every use.
        self._verified: dict[str, dict[str, Any]] = {}

    async def subject(self, authorization: str | None) -> str | None:
        """The token's subject; None without an Authorization header."""
        if authorization is None:
            return None
        import jwt

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("the Authorization header must be 'Bearer <token>'")
        try:
            claims = await self._claims(token.strip())
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token is not valid") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token has no subject")
        return subject

    async def _claims(self, token: str) -> dict[str, Any]:
        claims = self._verified.get(token)
        if claims is not None:
            _check_times(claims, self.clock())
            return claims
        self.verifications += 1
        claims = await self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = claims
        return claims

    async def _decode(self, token: str) -> dict[str, Any]:
        import jwt

        s = self.settings
        options = {"require": ["sub", "exp"]}
        if s.jwt_secret:
            key: Any = s.jwt_secret
            algorithms = ["HS256"]
        elif s.jwks_url:
            if self._jwks is None:
                self._jwks = jwt.PyJWKClient(s.jwks_url)
            # A blocking HTTPS fetch on a cache miss: keep it off the event loop.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            key, algorithms = signing_key.key, ["RS256"]
        else:
            raise InvalidToken("this server is configured without tokens")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=s.jwt_issuer,
            audience=s.jwt_audience,
            options=options,  # type: ignore[arg-type]
        )
        return claims


def _check_times(claims: dict[str, Any], now: float) -> None:
    """What PyJWT checks of a verified token's times (no leeway; the values are integers,
    PyJWT checked that): expired at `exp`, not valid before `nbf` or `iat`."""
    import jwt

    if claims["exp"] <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")
    if claims.get("nbf", now) > now or claims.get("iat", now) > now:
        raise jwt.ImmatureSignatureError("The token is not yet valid")


def issue_token(settings: Settings, subject: str, lifetime_seconds: int = 3600) -> str:
    """A dev token (HS256 with JWT_SECRET), as `singlet token` prints."""
    import jwt

    if not settings.jwt_secret:
        raise InvalidToken("issuing tokens needs JWT_SECRET (HS256)")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "iat": now, "exp": now + lifetime_seconds}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
