"""Tokens: HS256 with a shared secret, RS256 against a JWKS (as Cognito publishes one)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import VERIFIED_TOKENS, Authenticator, InvalidToken, issue_token
from api.settings import Settings, SettingsError

ISSUER = "https://issuer.test/pool"
AUDIENCE = "singlet-client"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A JWKS endpoint on loopback, like Cognito's /.well-known/jwks.json."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def _rs256(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "cognito-sub", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60, "iat": now}
    return jwt.encode({**base, **claims}, key, "RS256", headers={"kid": "k1"})


async def test_rs256_tokens_against_jwks(rsa_key: rsa.RSAPrivateKey, jwks_url: str) -> None:
    auth = Authenticator(
        Settings(jwks_url=jwks_url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, cursor_secret="c")
    )
    assert await auth.subject(f"Bearer {_rs256(rsa_key)}") == "cognito-sub"
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad in (
        _rs256(rsa_key, iss="https://evil.test"),
        _rs256(rsa_key, aud="another-client"),
        _rs256(rsa_key, exp=int(time.time()) - 5),
        _rs256(other_key),
        jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "h" * 32, "HS256"),
    ):
        with pytest.raises(InvalidToken):
            await auth.subject(f"Bearer {bad}")


async def test_hs256_round_trip_and_subject_required() -> None:
    settings = Settings(jwt_secret="k" * 32, cursor_secret="c")
    auth = Authenticator(settings)
    assert await auth.subject(None) is None
    assert await auth.subject(f"Bearer {issue_token(settings, 'seed|ada')}") == "seed|ada"
    no_subject = jwt.encode({"exp": int(time.time()) + 60}, "k" * 32, "HS256")
    with pytest.raises(InvalidToken):
        await auth.subject(f"Bearer {no_subject}")


async def test_a_token_is_verified_once_and_its_expiry_checked_at_every_use() -> None:
    settings = Settings(jwt_secret="k" * 32, cursor_secret="c")
    token = issue_token(settings, "seed|ada", lifetime_seconds=60)
    now = time.time()  # not before the token's iat (whole seconds, rounded down)
    auth = Authenticator(settings, clock=lambda: now)
    for _ in range(3):
        assert await auth.subject(f"Bearer {token}") == "seed|ada"
    assert auth.verifications == 1
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")  # another signature
    for _ in range(2):  # a token that fails is verified (and refused) every time
        with pytest.raises(InvalidToken, match="not valid"):
            await auth.subject(f"Bearer {forged}")
    assert auth.verifications == 3
    now += 61  # past its expiry: refused without verifying it again
    with pytest.raises(InvalidToken, match="expired"):
        await auth.subject(f"Bearer {token}")
    assert auth.verifications == 3


async def test_verified_tokens_are_bounded_the_oldest_verified_again() -> None:
    settings = Settings(jwt_secret="k" * 32, cursor_secret="c")
    auth = Authenticator(settings)
    tokens = [issue_token(settings, f"user-{n}") for n in range(VERIFIED_TOKENS + 1)]
    for token in tokens:
        await auth.subject(f"Bearer {token}")
    assert auth.verifications == VERIFIED_TOKENS + 1
    await auth.subject(f"Bearer {tokens[-1]}")  # still known
    await auth.subject(f"Bearer {tokens[0]}")  # made room for the last one
    assert auth.verifications == VERIFIED_TOKENS + 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "JWT_SECRET"),
        ({"JWT_SECRET": "short"}, "32 bytes"),
        ({"JWKS_URL": "https://x/jwks.json"}, "CURSOR_SECRET"),
        ({"JWT_SECRET": "k" * 32, "MAX_QUERY_DEPTH": "ten"}, "whole number"),
        ({"JWT_SECRET": "k" * 32, "INTROSPECTION": "maybe"}, "true or false"),
    ],
)
def test_bad_configuration_says_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_configuration_from_environment() -> None:
    settings = Settings.from_env(
        {
            "JWT_SECRET": "k" * 32,
            "TABLE_NAME": "blog",
            "AWS_REGION": "eu-west-1",
            "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:8000",
            "INTROSPECTION": "off",
        }
    )
    assert (settings.table_name, settings.region) == ("blog", "eu-west-1")
    assert settings.endpoint_url == "http://127.0.0.1:8000"
    assert settings.cursor_secret == "k" * 32  # falls back to the JWT secret
    assert settings.introspection is False
