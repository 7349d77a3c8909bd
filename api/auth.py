"""Bearer tokens: HS256 with JWT_SECRET, else RS256 against JWKS_URL (Cognito, any OIDC)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:
    import jwt

# PyJWT is imported where a token is handled, not with this module: it imports cryptography
# (27 ms of a Lambda cold start) whether or not the configured algorithm needs it, and an
# anonymous request needs neither. bench.cold_start reports a signed-in first invocation.


class InvalidToken(Exception):
    """The Authorization header was sent but does not hold a valid token."""


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Made with the first token: PyJWKClient fetches and caches the key set on first use.
        self._jwks: jwt.PyJWKClient | None = None

    async def subject(self, authorization: str | None) -> str | None:
        """The token's subject; None without an Authorization header."""
        if authorization is None:
            return None
        import jwt

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("the Authorization header must be 'Bearer <token>'")
        try:
            claims = await self._decode(token.strip())
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token is not valid") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token has no subject")
        return subject

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


def issue_token(settings: Settings, subject: str, lifetime_seconds: int = 3600) -> str:
    """A dev token (HS256 with JWT_SECRET), as `singlet token` prints."""
    import time

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
