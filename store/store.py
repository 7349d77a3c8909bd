"""The store: the blog's reads (AP1-AP9) and writes over the one table."""

from __future__ import annotations

from .reads import Reads
from .writes import Writes


class Store(Reads, Writes):
    """Reads and writes share one Table (and so one client, one meter)."""
