"""CORS for `singlet serve` and `singlet dev`, by the rules the function URL applies on AWS.

The rules come from infra/template.yaml through api/cors.json (generated, checked for drift).
The Lambda handler adds no CORS headers: the function URL does, and twice would break browsers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CORS_FILE = Path(__file__).with_name("cors.json")


def rules() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CORS_FILE.read_text())
    return loaded


def default_origins() -> tuple[str, ...]:
    """The template's default for CorsAllowOrigins."""
    return tuple(rules()["AllowOrigins"])


def middleware_options(origins: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments for Starlette's CORSMiddleware."""
    cors = rules()
    return {
        "allow_origins": list(origins),
        "allow_methods": cors["AllowMethods"],
        "allow_headers": cors["AllowHeaders"],
        "expose_headers": cors["ExposeHeaders"],
        "max_age": cors["MaxAge"],
        "allow_credentials": cors.get("AllowCredentials", False),
    }
