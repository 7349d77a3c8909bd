"""Who a request is charged to: the token's subject when signed in, else its address.

The address is the connection's peer: on a function URL, Mangum gives the request's
`requestContext.http.sourceIp` as the peer, which AWS sets and the client cannot. A header a
client sets (X-Forwarded-For, Forwarded, X-Real-IP) is believed only from a proxy a setting
names (TRUSTED_PROXIES): then the caller is the last address that proxy chain did not add.
"""

from __future__ import annotations

from collections.abc import Collection


def caller_of(subject: str | None, peer: str | None, forwarded_for: str | None,
              trusted: Collection[str]) -> str:  # fmt: skip
    if subject is not None:
        return f"user:{subject}"
    address = peer or "unknown"
    if address in trusted and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        while hops and hops[-1] in trusted:
            hops.pop()
        if hops:
            address = hops[-1]
    return f"ip:{address}"
