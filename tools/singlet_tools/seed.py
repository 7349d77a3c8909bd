"""Demo data for `singlet seed` and `make run`: users, tagged posts, votes and comments."""

from __future__ import annotations

import random

from model import AlreadyExists
from store import Store

USERS = [
    ("ada", "Ada Lovelace", "Wrote the first program."),
    ("grace", "Grace Hopper", "Compilers, COBOL, and a moth."),
    ("linus", "Linus Torvalds", "Just a hobby, won't be big."),
    ("barbara", "Barbara Liskov", "Substitutability."),
]
POSTS = [
    ("One table to rule them all", ("dynamodb", "design")),
    ("Access patterns first", ("dynamodb", "design")),
    ("Dataloaders and the N+1 problem", ("graphql", "performance")),
    ("Why Scans do not scale", ("dynamodb", "performance")),
    ("Relay cursors, explained", ("graphql",)),
    ("Cold starts on Lambda", ("aws", "lambda", "performance")),
    ("Optimistic concurrency with a version attribute", ("dynamodb",)),
    ("Write sharding for hot partitions", ("dynamodb", "design")),
    ("GraphiQL without a CDN", ("graphql", "security")),
    ("Migrations without downtime", ("dynamodb", "migrations")),
    ("Signed cursors", ("graphql", "security")),
    ("Function URLs vs API Gateway", ("aws", "lambda")),
]
COMMENTS = ["Great read!", "I disagree, but well argued.", "Bookmarked.", "What about GSIs?"]


def subject_for(username: str) -> str:
    """The token subject seeded users sign in with (`singlet token --user NAME`)."""
    return f"seed|{username}"


async def seed(store: Store, rng: random.Random | None = None) -> bool:
    """Seeds the demo data; False if it was already there (seeding is not repeated)."""
    rng = rng or random.Random(7)
    try:
        users = [
            await store.create_user(subject_for(name), name, display, bio)
            for name, display, bio in USERS
        ]
    except AlreadyExists:
        return False
    for i, (title, tags) in enumerate(POSTS):
        author = users[i % len(users)]
        post, _ = await store.create_post(
            author.id, title, f"{title}: a demo post.", f"https://example.org/{i}", tags
        )
        for voter in users:
            if rng.random() < 0.7:
                await store.vote(voter.id, post.id, "UP" if rng.random() < 0.8 else "DOWN")
        for _ in range(rng.randrange(0, 4)):
            commenter = rng.choice(users)
            await store.add_comment(commenter.id, post.id, rng.choice(COMMENTS))
    return True
