"""A blog with a fixed seed: users, posts, comments, votes; Zipf-distributed tags and activity.

The same ids go into both designs, so one GraphQL request means the same thing to each.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from ulid import ULID

from model import Comment, Direction, Post, User, Vote
from model.limits import created_at


@dataclass(frozen=True)
class Scale:
    users: int
    posts: int
    comments: int
    vote_tries: int = 5  # per post: votes drawn (repeats of a user on a post are dropped)


SCALES = {
    "tiny": Scale(6, 30, 90),
    "small": Scale(20, 200, 2_000),
    "default": Scale(200, 2_000, 20_000),
    # The scale run (bench/scale.py): the feed and tag pages as the table grows.
    "2k": Scale(200, 2_000, 2_000, 1),
    "20k": Scale(1_000, 20_000, 20_000, 1),
    "100k": Scale(5_000, 100_000, 100_000, 1),
}
# Two more posts, by the same author, the writes' size test: a vote or a comment on either
# costs the same in Singlet (bench/workload.py).
SHORT, LONG = 100, 50_000
TAGS = [
    "python", "aws", "dynamodb", "graphql", "serverless", "lambda", "design", "performance",
    "security", "testing", "rust", "go", "javascript", "react", "databases", "devops", "cloud",
    "career", "architecture", "api", "data", "ml", "linux", "networking", "observability",
    "postgres", "kubernetes", "frontend", "backend", "tooling",
]  # fmt: skip
WORDS = (
    "single", "table", "design", "access", "pattern", "query", "index", "partition", "key",
    "cost", "latency", "resolver", "loader", "batch", "round", "trip", "scan", "filter", "page",
    "cursor",
)  # fmt: skip
START_MS = 1_767_225_600_000  # 2026-01-01
DAY_MS = 86_400_000


@dataclass
class Dataset:
    users: list[User] = field(default_factory=list)
    subjects: dict[str, str] = field(default_factory=dict)  # user id -> token subject
    posts: list[Post] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    contents: dict[str, str] = field(default_factory=dict)  # post id -> its body
    sized: dict[int, str] = field(default_factory=dict)  # content length -> a post's id

    def tag_counts(self) -> Counter[str]:
        return Counter(tag for post in self.posts for tag in post.tags)


class Zipf:
    """Picks items with probability proportional to 1 / rank ** s."""

    def __init__(self, items: list[str], rng: random.Random, s: float = 1.1) -> None:
        self.items, self.rng = items, rng
        self.weights = list(itertools.accumulate(1 / (r + 1) ** s for r in range(len(items))))

    def pick(self) -> str:
        return self.rng.choices(self.items, cum_weights=self.weights)[0]


def _ulid(rng: random.Random, ms: int) -> str:
    return str(ULID.from_bytes(ms.to_bytes(6, "big") + rng.randbytes(10)))


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def generate(scale: str = "default", seed: int = 42) -> Dataset:
    sizes = SCALES[scale]
    n_users, n_posts, n_comments = sizes.users, sizes.posts, sizes.comments
    rng = random.Random(seed)
    data = Dataset()
    for i in range(n_users):
        user_id = _ulid(rng, START_MS + rng.randrange(30 * DAY_MS))
        user = User(id=user_id, username=f"user_{i}", display_name=f"User {i}",
                    bio=_text(rng, 8), created_at=created_at(user_id))  # fmt: skip
        data.users.append(user)
        data.subjects[user_id] = f"bench|{user.username}"
    writers = Zipf([u.id for u in data.users], rng)  # a few prolific authors
    tags = Zipf(TAGS, rng)
    post_times = sorted(START_MS + 30 * DAY_MS + rng.randrange(300 * DAY_MS)
                        for _ in range(n_posts))  # fmt: skip
    counts: dict[str, Counter[str]] = {}
    for ms in post_times:
        post_id = _ulid(rng, ms)
        chosen = tuple(sorted({tags.pick() for _ in range(rng.randint(1, 3))}))
        stamp = created_at(post_id)
        data.posts.append(Post(id=post_id, author_id=writers.pick(), title=_text(rng, 6),
                               url=f"https://example.org/{post_id.lower()}", tags=chosen,
                               ups=0, downs=0, version=1, comment_count=0, created_at=stamp,
                               updated_at=stamp, score=0))  # fmt: skip
        data.contents[post_id] = _text(rng, 80)
        counts[post_id] = Counter()
    # Popular posts draw most comments and votes; newer posts are not always the popular ones.
    popular = Zipf(rng.sample([p.id for p in data.posts], len(data.posts)), rng, s=0.9)
    post_time = {p.id: int(ULID.from_str(p.id).milliseconds) for p in data.posts}
    commenters = Zipf(rng.sample([u.id for u in data.users], len(data.users)), rng)
    for _ in range(n_comments):
        post_id = popular.pick()
        comment_id = _ulid(rng, post_time[post_id] + rng.randrange(1, 20 * DAY_MS))
        data.comments.append(Comment(id=comment_id, post_id=post_id,
                                     author_id=commenters.pick(), body=_text(rng, 15),
                                     created_at=created_at(comment_id)))  # fmt: skip
        counts[post_id]["comments"] += 1
    seen: set[tuple[str, str]] = set()
    for _ in range(n_posts * sizes.vote_tries):
        post_id, user_id = popular.pick(), commenters.pick()
        if (post_id, user_id) in seen:
            continue
        seen.add((post_id, user_id))
        direction: Direction = "UP" if rng.random() < 0.8 else "DOWN"
        data.votes.append(Vote(post_id=post_id, user_id=user_id, direction=direction))
        counts[post_id][direction] += 1
    data.posts = [
        p.replace(ups=counts[p.id]["UP"], downs=counts[p.id]["DOWN"],
                  score=counts[p.id]["UP"] - counts[p.id]["DOWN"],
                  comment_count=counts[p.id]["comments"])
        for p in data.posts
    ]  # fmt: skip
    author = data.users[0].id
    for n, length in enumerate((SHORT, LONG)):
        post_id = _ulid(rng, START_MS + n)  # the oldest posts: off the feed's first pages
        stamp = created_at(post_id)
        data.sized[length] = post_id
        data.posts.append(Post(id=post_id, author_id=author, title=f"{length:,} characters",
                               ups=0, downs=0, version=1, comment_count=0, created_at=stamp,
                               updated_at=stamp, score=0))  # fmt: skip
        data.contents[post_id] = ("Singlet. " * (length // 9 + 1))[:length]
    return data
