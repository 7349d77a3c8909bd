"""api/cors.json from the function URL's CORS block in infra/template.yaml, its one source
(`python -m singlet_tools.cors`, run by `make schema`; a test checks it for drift).

On Lambda the function URL answers CORS itself; `singlet serve` and `singlet dev` apply the
same rules with Starlette's middleware, so a browser app that works locally works deployed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.cors import CORS_FILE
from singlet_tools.tables import TEMPLATE, load_template

FUNCTION_TYPE = "AWS::Serverless::Function"


def cors_definition(path: Path = TEMPLATE) -> dict[str, Any]:
    """The function URL's CORS rules, with the origins parameter's default as the origins."""
    template = load_template(path)
    functions = [r for r in template["Resources"].values() if r.get("Type") == FUNCTION_TYPE]
    (cors,) = [f["Properties"]["FunctionUrlConfig"]["Cors"] for f in functions
               if "FunctionUrlConfig" in f["Properties"]]  # fmt: skip
    origins = cors["AllowOrigins"]
    if isinstance(origins, dict) and "Ref" in origins:
        origins = template["Parameters"][origins["Ref"]]["Default"].split(",")
    return {**cors, "AllowOrigins": [o.strip() for o in origins]}


def write_cors_definition(path: Path = TEMPLATE) -> str:
    text = json.dumps(cors_definition(path), indent=2) + "\n"
    CORS_FILE.write_text(text)
    return text


if __name__ == "__main__":
    write_cors_definition()
    print(f"wrote {CORS_FILE.name} from {TEMPLATE.name}")
