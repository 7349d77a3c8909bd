"""Configuration: read from environment variables here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from cost.budget import FUNCTION_URL_PAYLOAD, Budget
from cost.limiter import Limits, parse_rate
from store.client import is_local

T = TypeVar("T")

MIN_SECRET_BYTES = 32


class SettingsError(ValueError):
    """The environment does not describe a usable configuration; the message says why."""


def _flag(value: str | None, default: T) -> bool | T:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"expected true or false, got {value!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _limit(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    """A positive number, or "none" for no limit."""
    raw = env.get(name)
    if not raw:
        return default
    if raw.lower() == "none":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise SettingsError(f"{name} must be a positive number or 'none', got {raw!r}")
    return value


def _budget(env: Mapping[str, str]) -> Budget:
    default = Budget()
    return Budget(
        calls=_limit(env, "COST_MAX_CALLS", default.calls),
        round_trips=_limit(env, "COST_MAX_ROUND_TRIPS", default.round_trips),
        items=_limit(env, "COST_MAX_ITEMS", default.items),
    )


# A small public blog's callers (read-unit equivalents: a capacity, and a refill a second).
# A reader paging at human speed spends a few units a second (a post page: 8, a feed page
# with comments: 40); an address spending 20 a second all day costs about $0.22 a day.
RATE_LIMIT_ANONYMOUS = "600/20"
RATE_LIMIT_SIGNED_IN = "1200/40"


def _limits(env: Mapping[str, str]) -> Limits:
    default = Limits()
    rates = {}
    for name, fallback in (("RATE_LIMIT_ANONYMOUS", RATE_LIMIT_ANONYMOUS),
                           ("RATE_LIMIT_SIGNED_IN", RATE_LIMIT_SIGNED_IN)):  # fmt: skip
        try:
            rates[name] = parse_rate(name, env.get(name) or fallback)
        except ValueError as error:
            raise SettingsError(str(error)) from None
    return Limits(
        read_units=_limit(env, "COST_MAX_READ_UNITS", default.read_units),
        write_units=_limit(env, "COST_MAX_WRITE_UNITS", default.write_units),
        anonymous=rates["RATE_LIMIT_ANONYMOUS"],
        signed_in=rates["RATE_LIMIT_SIGNED_IN"],
    )


def _words(value: str | None) -> tuple[str, ...]:
    """A comma-separated list, as CloudFormation's CommaDelimitedList takes it."""
    return tuple(word.strip() for word in (value or "").split(",") if word.strip())


@dataclass(frozen=True)
class Settings:
    table_name: str = "singlet-dev"
    region: str = "us-east-1"
    endpoint_url: str | None = None  # None: AWS's DynamoDB
    jwt_secret: str | None = None  # HS256 (local, tests)
    jwks_url: str | None = None  # RS256 (Cognito or any OIDC provider)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    cursor_secret: str = ""
    introspection: bool = True
    max_depth: int = 12
    max_body_bytes: int = 512 * 1024
    log_level: str = "INFO"
    budget: Budget = field(default_factory=Budget)
    # What a request may consume, and each caller's budget: rates None (not limited) unless
    # set; from_env sets RATE_LIMIT_ANONYMOUS and RATE_LIMIT_SIGNED_IN's defaults.
    limits: Limits = field(default_factory=Limits)
    # Proxies in front of the app whose X-Forwarded-For names the caller's address: only a
    # request from one of these is believed (on a function URL: none, the source address).
    trusted_proxies: tuple[str, ...] = ()
    # A response is never larger (as Lambda's function URL carries it): over it, it becomes
    # an error.
    max_response_bytes: float | None = FUNCTION_URL_PAYLOAD
    # extensions.cost in every response ("always", as `make run` sets), or only when the
    # request carries `x-singlet-cost: 1`
    cost_in_response: bool = False
    # The endpoint is DynamoDB Local (None: any loopback endpoint is): its transactions are
    # priced by the cost model, since it does not bill them as AWS does.
    dynamodb_local: bool | None = None
    # Origins a browser may call from, answered by the app itself (`singlet serve`, `singlet
    # dev`); empty on Lambda, where the function URL applies the same rules (api/cors.py).
    cors_origins: tuple[str, ...] = ()

    @property
    def local_endpoint(self) -> bool:
        if self.dynamodb_local is not None:
            return self.dynamodb_local
        return is_local(self.endpoint_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, auth: bool = True) -> Settings:
        """auth=False: for tools that only use the table (`singlet table create`, `seed`,
        `migrate`), which check no tokens and sign no cursors, so need no secret."""
        env = os.environ if env is None else env
        jwt_secret = (env.get("JWT_SECRET") or None) if auth else None
        jwks_url = (env.get("JWKS_URL") or None) if auth else None
        if auth and not jwt_secret and not jwks_url:
            raise SettingsError("set JWT_SECRET (HS256 tokens) or JWKS_URL (RS256, e.g. Cognito)")
        if jwt_secret and len(jwt_secret.encode()) < MIN_SECRET_BYTES:
            # RFC 7518 3.2: an HS256 key shorter than the hash is guessable.
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        # Cursors stay valid across Lambda containers only with a shared secret.
        cursor_secret = (env.get("CURSOR_SECRET") or jwt_secret) if auth else ""
        if auth and not cursor_secret:
            raise SettingsError("set CURSOR_SECRET: it signs pagination cursors")
        response_bytes = _limit(env, "MAX_RESPONSE_BYTES", FUNCTION_URL_PAYLOAD)
        return cls(
            table_name=env.get("TABLE_NAME") or cls.table_name,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or cls.region,
            endpoint_url=env.get("DYNAMODB_ENDPOINT_URL") or None,
            jwt_secret=jwt_secret,
            jwks_url=jwks_url,
            jwt_issuer=env.get("JWT_ISSUER") or None,
            jwt_audience=env.get("JWT_AUDIENCE") or None,
            cursor_secret=cursor_secret or "",  # auth=False: signs no cursors
            introspection=_flag(env.get("INTROSPECTION"), True),
            max_depth=_int(env, "MAX_QUERY_DEPTH", cls.max_depth),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes),
            log_level=(env.get("LOG_LEVEL") or cls.log_level).upper(),
            budget=_budget(env),
            limits=_limits(env),
            trusted_proxies=_words(env.get("TRUSTED_PROXIES")),
            max_response_bytes=response_bytes,
            cost_in_response=_cost_in_response(env.get("COST_EXTENSIONS")),
            dynamodb_local=_flag(env.get("DYNAMODB_LOCAL"), None),
            cors_origins=_words(env.get("CORS_ALLOW_ORIGINS")),
        )


def _cost_in_response(value: str | None) -> bool:
    if value in (None, "", "on-request"):
        return False
    if value == "always":
        return True
    raise SettingsError(f"COST_EXTENSIONS must be 'always' or 'on-request', got {value!r}")


@dataclass(frozen=True)
class StreamSettings:
    """The stream function's environment (infra/template.yaml sets it)."""

    region: str = "us-east-1"
    bus: str = "default"  # EventBridge bus name or ARN
    source: str = "singlet"  # the events' `source`, what rules match on
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StreamSettings:
        env = os.environ if env is None else env
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or cls.region,
            bus=env.get("EVENT_BUS_NAME") or cls.bus,
            source=env.get("EVENT_SOURCE") or cls.source,
            log_level=(env.get("LOG_LEVEL") or cls.log_level).upper(),
        )
