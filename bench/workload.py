"""The operations both designs serve, with variables chosen from the dataset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.ids import global_id

from .data import LONG, SHORT, Dataset

NODE_BATCH = 20


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    query: str
    variables: dict[str, Any]
    as_user: str | None = None  # a token subject: the operation runs signed in
    # Run n uses variants[n % len] over `variables` (a vote that alternates, so every run
    # really writes).
    variants: tuple[dict[str, Any], ...] = ()
    nested: bool = False  # relations several levels deep (where N+1 shows)
    mutation: bool = False


POST_PAGE = """query($id: ID!) { post(id: $id) { title content viewerVote
  author { username displayName }
  comments(first: 20) { edges { node { body createdAt author { username } } } } } }"""
FEED_PAGE = """{ posts(first: 20) { edges { node { title ups downs commentCount tags
  author { username } } } } }"""
FEED_WITH_COMMENTS = """{ posts(first: 20) { edges { node { title author { username }
  comments(first: 5) { edges { node { body author { username } } } } } } } }"""
PROFILE = """query($u: String!) { user(username: $u) { displayName bio
  posts(first: 10) { edges { node { title ups commentCount } } }
  comments(first: 10) { edges { node { body post { title } } } } } }"""
TAG_PAGE = """query($t: String!) { postsByTag(tag: $t, first: 20) { edges { node { title ups
  author { username } } } } }"""
CREATE_POST = """mutation($t: String!) { createPost(input: {title: $t, content: "Benchmark",
  tags: ["python"]}) { id } }"""
ADD_COMMENT = """mutation($p: ID!) { addComment(input: {postId: $p, body: "Nice."}) { id } }"""
VOTE = """mutation($p: ID!, $d: VoteDirection!) { vote(postId: $p, direction: $d) { ups } }"""


def node_batch_query(count: int = NODE_BATCH) -> str:
    params = ", ".join(f"$i{n}: ID!" for n in range(count))
    fields = " ".join(
        f"n{n}: node(id: $i{n}) {{ id ... on Post {{ title author {{ username }} }} }}"
        for n in range(count)
    )
    return f"query({params}) {{ {fields} }}"


def operations(data: Dataset) -> list[Operation]:
    # A post with a full first page of comments, not the one outlier with thousands.
    busy = sorted((p for p in data.posts if p.comment_count >= 20), key=lambda p: p.id)
    post = busy[len(busy) // 2] if busy else data.posts[0]
    writer_counts: dict[str, int] = {}
    for p in data.posts:
        writer_counts[p.author_id] = writer_counts.get(p.author_id, 0) + 1
    profile = max(data.users, key=lambda u: (writer_counts.get(u.id, 0), u.id))
    tag = data.tag_counts().most_common(3)[-1][0]  # a popular tag, not the top one
    reader = data.users[len(data.users) // 2]
    subject = data.subjects[reader.id]
    nodes = data.posts[:: max(1, len(data.posts) // NODE_BATCH)][:NODE_BATCH]
    post_id = global_id("Post", post.id)
    return [
        Operation("post_page", "post page: post, author, 20 comments and their authors",
                  POST_PAGE, {"id": post_id}, as_user=subject, nested=True),
        Operation("feed_page", "feed page: 20 newest posts with authors", FEED_PAGE, {},
                  nested=True),
        Operation("feed_with_comments", "feed with 5 comments a post and their authors",
                  FEED_WITH_COMMENTS, {}, nested=True),
        Operation("profile", "user profile: 10 recent posts, 10 comments with their posts",
                  PROFILE, {"u": profile.username}, nested=True),
        Operation("tag_page", f"tag page ({tag}): 20 newest posts with authors", TAG_PAGE,
                  {"t": tag}, nested=True),
        Operation("node_batch", f"{NODE_BATCH} node(id) lookups with authors",
                  node_batch_query(len(nodes)),
                  {f"i{n}": global_id("Post", p.id) for n, p in enumerate(nodes)}, nested=True),
        Operation("create_post", "mutation: create a post", CREATE_POST, {"t": "Benchmark"},
                  as_user=subject, mutation=True),
        Operation("add_comment", "mutation: comment on a post", ADD_COMMENT, {"p": post_id},
                  as_user=subject, mutation=True),
        Operation("vote", "mutation: vote on a post (alternately up and down)", VOTE,
                  {"p": post_id}, as_user=subject, mutation=True,
                  variants=({"d": "UP"}, {"d": "DOWN"})),
        *(op for length in (SHORT, LONG) for op in (
            Operation(f"vote_{length}", f"mutation: vote on a {length:,}-character post", VOTE,
                      {"p": global_id("Post", data.sized[length])}, as_user=subject,
                      mutation=True, variants=({"d": "UP"}, {"d": "DOWN"})),
            Operation(f"comment_{length}", f"mutation: comment on a {length:,}-character post",
                      ADD_COMMENT, {"p": global_id("Post", data.sized[length])},
                      as_user=subject, mutation=True),
        )),
    ]  # fmt: skip
