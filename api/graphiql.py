"""GraphiQL served by the app itself: pinned npm packages, no CDN, no inline script.

The packages are fetched at build time (`make graphiql-assets` runs
`python -m singlet_tools.graphiql`)
into api/static/vendor/, checksum-verified, never committed. The page carries the same
Subresource Integrity hashes Strawberry pins for the CDN copies, so the browser itself checks
that the local files are the pinned ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    tarball_sha256: str
    path: str  # inside the package
    integrity: str  # SRI, as in Strawberry's graphiql.html

    @property
    def url(self) -> str:
        return f"/graphiql/vendor/{self.package}@{self.version}/{self.path}"

    @property
    def file(self) -> Path:
        return VENDOR / f"{self.package}@{self.version}" / self.path


ASSETS = (
    Asset("react", "18.2.0",
          "a151f7caec911760e42b7a6f6f1dfcaba141fd11ff49e2af901a2eee0366297c",
          "umd/react.production.min.js",
          "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"),
    Asset("react-dom", "18.2.0",
          "20a71e86b691f860c781f3732a85c7b3c63c4d3d9a803dca9dfe6ed0eb30e2ef",
          "umd/react-dom.production.min.js",
          "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"),
    Asset("js-cookie", "3.0.5",
          "37aae984c1efdb0f91a20036dc44100a220386f38133fd188dc05ccd72063075",
          "dist/js.cookie.min.js",
          "sha384-/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN"),
    Asset("graphiql", "3.8.3",
          "1cadb1c2ca0dc51ea71fb4bb2680e6185e83fe400c9a62ca5fb9dfb922472bbd",
          "graphiql.min.css",
          "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"),
    Asset("@graphiql/plugin-explorer", "1.0.2",
          "0eb37145bdaebc72050f76339c5cdacb89b8846f65259dfb78debfefc8ae3ff1",
          "dist/style.css",
          "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"),
    Asset("graphiql", "3.8.3",
          "1cadb1c2ca0dc51ea71fb4bb2680e6185e83fe400c9a62ca5fb9dfb922472bbd",
          "graphiql.min.js",
          "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"),
    Asset("@graphiql/plugin-explorer", "1.0.2",
          "0eb37145bdaebc72050f76339c5cdacb89b8846f65259dfb78debfefc8ae3ff1",
          "dist/index.umd.js",
          "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"),
)  # fmt: skip

# GraphiQL styles itself inline; scripts come only from this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

_MISSING = """<!doctype html><html><head><title>Singlet GraphiQL</title></head><body>
<h1>GraphiQL assets are not installed</h1>
<p>Run <code>make graphiql-assets</code> (or <code>make run</code>), then reload.
The GraphQL endpoint itself works: POST queries to this URL.</p></body></html>"""


def page() -> HTMLResponse:
    if not all(a.file.is_file() for a in ASSETS):
        return HTMLResponse(_MISSING, status_code=503)
    tags = []
    for a in ASSETS:
        url, sri = escape(a.url), escape(a.integrity)
        if a.path.endswith(".css"):
            tags.append(f'<link rel="stylesheet" href="{url}" integrity="{sri}">')
        else:
            tags.append(f'<script src="{url}" integrity="{sri}"></script>')
    head = "\n    ".join(tags)
    html = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Singlet GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/graphiql/singlet.css">
    {head}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="/graphiql/singlet.js"></script>
  </body>
</html>"""
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})
