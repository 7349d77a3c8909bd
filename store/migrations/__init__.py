"""Versioned migrations, applied in order by `singlet migrate` (see docs/migrations.md)."""

from __future__ import annotations

from model.errors import InvalidInput

from .base import Change, Migration
from .m0001_post_score import PostScore
from .m0002_lowercase_tags import LowercaseTags
from .m0003_post_body import PostBodies

MIGRATIONS: tuple[Migration, ...] = (PostScore(), LowercaseTags(), PostBodies())


def get(migration_id: str) -> Migration:
    for migration in MIGRATIONS:
        if migration.id == migration_id or migration.id.split("_", 1)[0] == migration_id:
            return migration
    known = ", ".join(m.id for m in MIGRATIONS)
    raise InvalidInput(f"no migration {migration_id!r}: known are {known}")


__all__ = ["MIGRATIONS", "Change", "Migration", "get"]
