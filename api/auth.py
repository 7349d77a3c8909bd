"""Bearer tokens: HS256 with JWT_SECRET, else RS256 against JWKS_URL (Cognito, any OIDC)."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

from .settings import Settings


class InvalidToken(Exception):
    """The Authorization header was sent but does not hold a valid token."""


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # PyJWKClient fetches and caches the key set on first use, not here.
        self._jwks: jwt.PyJWKClient | None = None
        if not settings.jwt_secret and settings.jwks_url:
            self._jwks = jwt.PyJWKClient(settings.jwks_url)

    async def subject(self, authorization: str | None) -> str | None:
        """The token's subject; None without an Authorization header."""
        if authorization is None:
            return None
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
        s = self.settings
        options = {"require": ["sub", "exp"]}
        if self._jwks is None:
            key: Any = s.jwt_secret
            algorithms = ["HS256"]
        else:
            # A blocking HTTPS fetch on a cache miss: keep it off the event loop.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            key, algorithms = signing_key.key, ["RS256"]
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

    if not settings.jwt_secret:
        raise InvalidToken("issuing tokens needs JWT_SECRET (HS256)")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "iat": now, "exp": now + lifetime_seconds}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
