"""The GraphQL contract, over HTTP and through the Lambda handler (see conftest `api`)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.api.conftest import Api, Member, error_codes, make_token

POST_FIELDS = "id title content url tags ups downs version commentCount createdAt updatedAt"


async def create_post(api: Api, member: Member, title: str = "t", **extra: Any) -> dict[str, Any]:
    result = await api.graphql(
        f"mutation($i: CreatePostInput!) {{ createPost(input: $i) {{ {POST_FIELDS} }} }}",
        {"i": {"title": title, "content": "c", **extra}},
        token=member.token,
    )
    assert "errors" not in result, result
    post: dict[str, Any] = result["data"]["createPost"]
    return post


# Health, GraphiQL, HTTP conventions


async def test_health(api: Api) -> None:
    reply = await api.request("GET", "/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}
    assert reply.headers["x-request-id"]


async def test_queries_over_get_but_not_mutations(api: Api, signup: Any) -> None:
    await signup("ada")
    reply = await api.request(
        "GET", "/graphql", params={"query": '{ user(username: "ADA") { username } }'}
    )
    assert reply.status == 200
    assert reply.json() == {"data": {"user": {"username": "ada"}}}
    mutation = 'mutation { createUser(input: {username: "x_y_z"}) { id } }'
    reply = await api.request("GET", "/graphql", params={"query": mutation})
    assert reply.status == 405


async def test_graphiql_page_for_browsers_uses_no_cdn(api: Api) -> None:
    reply = await api.request("GET", "/graphql", headers={"accept": "text/html"})
    assert reply.status == 200
    html = reply.body.decode()
    assert "unpkg.com" not in html
    assert "cdn" not in html.lower()
    assert "/graphiql/vendor/graphiql@3.8.3/graphiql.min.js" in html
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    asset = await api.request("GET", "/graphiql/vendor/react@18.2.0/umd/react.production.min.js")
    assert asset.status == 200
    assert asset.body.startswith(b"/**")


async def test_request_body_limit(api: Api) -> None:
    limit = api.app.state.resources.settings.max_body_bytes
    body = json.dumps({"query": "{ posts { edges { cursor } } }", "pad": "x" * limit})
    reply = await api.request(
        "POST", "/graphql", body=body.encode(), headers={"content-type": "application/json"}
    )
    assert reply.status == 413
    assert reply.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_depth_limit(api: Api) -> None:
    selection = "username"
    for _ in range(4):  # 4 levels each: posts > edges > node > author
        selection = f"posts {{ edges {{ node {{ author {{ {selection} }} }} }} }}"
    result = await api.graphql(f"{{ {selection} }}")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert "depth" in result["errors"][0]["message"]


async def test_introspection_is_on_by_default(api: Api) -> None:
    result = await api.graphql("{ __schema { queryType { name } } }")
    assert result == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_syntax_errors_are_bad_user_input(api: Api) -> None:
    result = await api.graphql("{ posts { ")
    assert error_codes(result) == ["BAD_USER_INPUT"]


# Auth


async def test_reads_are_open_to_anonymous_callers(api: Api, signup: Any) -> None:
    member = await signup("ada")
    await create_post(api, member)
    result = await api.graphql("{ viewer { id } posts { edges { node { title viewerVote } } } }")
    assert result == {"data": {"viewer": None, "posts": {"edges": [
        {"node": {"title": "t", "viewerVote": None}}]}}}  # fmt: skip


async def test_every_mutation_needs_a_token(api: Api, signup: Any) -> None:
    member = await signup("ada")
    post = await create_post(api, member)
    mutations = [
        'createUser(input: {username: "bob"}) { id }',
        'createPost(input: {title: "t", content: "c"}) { id }',
        f'updatePost(input: {{id: "{post["id"]}", expectedVersion: 1, title: "x"}}) {{ id }}',
        f'deletePost(id: "{post["id"]}", expectedVersion: 1)',
        f'vote(postId: "{post["id"]}", direction: UP) {{ id }}',
        f'addTag(postId: "{post["id"]}", tag: "x") {{ id }}',
        f'removeTag(postId: "{post["id"]}", tag: "x") {{ id }}',
        f'addComment(input: {{postId: "{post["id"]}", body: "b"}}) {{ id }}',
        f'deleteComment(id: "{post["id"]}")',
    ]
    for mutation in mutations:
        result = await api.graphql(f"mutation {{ {mutation} }}")
        assert error_codes(result) == ["UNAUTHENTICATED"], mutation


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (f"Bearer {make_token('s', ttl=-10)}", "expired"),
        (f"Bearer {make_token('s', secret='another-secret-that-is-32-bytes-long')}", "not valid"),
        ("Bearer not.a.jwt", "not valid"),
        (f"Basic {base64.b64encode(b'u:p').decode()}", "Bearer"),
        ("Bearer", "Bearer"),  # no token at all
        (f"Bearer {make_token('s')}x", "not valid"),  # tampered signature
    ],
)
async def test_bad_tokens_are_unauthenticated_even_for_reads(
    api: Api, header: str, message: str
) -> None:
    result = await api.graphql("{ posts { edges { cursor } } }", headers={"authorization": header})
    assert "data" not in result  # refused before it ran: a request error
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert message in result["errors"][0]["message"]


async def test_token_without_profile_can_only_create_one(api: Api) -> None:
    token = make_token("auth0|newcomer")
    result = await api.graphql(
        'mutation { createPost(input: {title: "t", content: "c"}) { id } }', token=token
    )
    assert error_codes(result) == ["FORBIDDEN"]
    assert "createUser" in result["errors"][0]["message"]
    result = await api.graphql("{ viewer { id } }", token=token)
    assert result == {"data": {"viewer": None}}


# Users


async def test_create_user_and_viewer(api: Api, signup: Any) -> None:
    member = await signup("Ada_L", subject="auth0#odd|subject%")
    result = await api.graphql(
        "{ viewer { id username displayName bio createdAt } }", token=member.token
    )
    viewer = result["data"]["viewer"]
    assert viewer["id"] == member.id
    assert (viewer["username"], viewer["displayName"], viewer["bio"]) == ("Ada_L", "Ada_L", "")
    again = await api.graphql(
        'mutation { createUser(input: {username: "other"}) { id } }', token=member.token
    )
    assert error_codes(again) == ["CONFLICT"]
    taken = await api.graphql(
        'mutation { createUser(input: {username: "ADA_l"}) { id } }', token=make_token("x")
    )
    assert error_codes(taken) == ["CONFLICT"]
    assert "taken" in taken["errors"][0]["message"]


async def test_user_lookup_by_id_and_username(api: Api, signup: Any) -> None:
    member = await signup("grace")
    by_id = await api.graphql("query($id: ID!) { user(id: $id) { username } }", {"id": member.id})
    assert by_id == {"data": {"user": {"username": "grace"}}}
    by_name = await api.graphql('{ user(username: "GRACE") { id } }')
    assert by_name == {"data": {"user": {"id": member.id}}}
    assert await api.graphql('{ user(username: "nobody") { id } }') == {"data": {"user": None}}
    both = await api.graphql(f'{{ user(id: "{member.id}", username: "grace") {{ id }} }}')
    assert error_codes(both) == ["BAD_USER_INPUT"]
    bad_name = await api.graphql('{ user(username: "a#b") { id } }')
    assert error_codes(bad_name) == ["BAD_USER_INPUT"]


async def test_create_user_validates_input(api: Api) -> None:
    result = await api.graphql(
        'mutation { createUser(input: {username: "no spaces"}) { id } }', token=make_token("s")
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]


# Posts


async def test_post_round_trip_and_node(api: Api, signup: Any) -> None:
    member = await signup("ada")
    post = await create_post(api, member, "Hello", url="https://example.org", tags=["b", "a"])
    assert post["tags"] == ["a", "b"]
    assert (post["ups"], post["downs"], post["version"], post["commentCount"]) == (0, 0, 1, 0)
    query = "query($id: ID!) { node(id: $id) { id ... on Post { title author { username } } } }"
    result = await api.graphql(query, {"id": post["id"]})
    assert result == {"data": {"node": {"id": post["id"], "title": "Hello",
                                        "author": {"username": "ada"}}}}  # fmt: skip
    user = await api.graphql(query, {"id": member.id})
    assert user == {"data": {"node": {"id": member.id}}}


async def test_node_ids_are_opaque_and_checked(api: Api, signup: Any) -> None:
    member = await signup("ada")
    post = await create_post(api, member)
    assert "Post" not in post["id"]
    for bad in ["garbage", base64.urlsafe_b64encode(b"Post:x#y").decode(), "UG9zdA"]:
        result = await api.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": bad})
        assert error_codes(result) == ["BAD_USER_INPUT"], bad
    wrong_type = await api.graphql("query($id: ID!) { post(id: $id) { id } }", {"id": member.id})
    assert error_codes(wrong_type) == ["BAD_USER_INPUT"]
    gone = base64.urlsafe_b64encode(b"Post:01ARZ3NDEKTSV4RRFFQ69G5FAV").decode().rstrip("=")
    result = await api.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": gone})
    assert result == {"data": {"node": None}}


async def test_create_post_validates_input(api: Api, signup: Any) -> None:
    member = await signup("ada")
    for extra in ({"title": "x" * 201}, {"tags": ["Not-Lower"]}, {"url": "ftp://x"}):
        result = await api.graphql(
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            {"i": {"title": "t", "content": "c", **extra}},
            token=member.token,
        )
        assert error_codes(result) == ["BAD_USER_INPUT"], extra


async def test_limits_hold_for_what_is_stored(api: Api, signup: Any) -> None:
    member = await signup("ada")
    create = "mutation($i: CreatePostInput!) { createPost(input: $i) { title content } }"
    padded = {"title": "a" + " " * 100_000, "content": "a" + " " * 400_000}
    result = await api.graphql(create, {"i": padded}, token=member.token)
    assert result == {"data": {"createPost": {"title": "a", "content": "a"}}}
    for bad in ({"title": "a\u0000b"}, {"title": "two\nlines"}, {"content": "\ud800"},
                {"title": " " * 300}):  # fmt: skip
        result = await api.graphql(create, {"i": {"title": "t", "content": "c", **bad}},
                                   token=member.token)  # fmt: skip
        assert error_codes(result) == ["BAD_USER_INPUT"], bad
        assert "Internal" not in result["errors"][0]["message"]


async def test_update_post_versions_and_owner_rule(api: Api, signup: Any) -> None:
    ada, bob = await signup("ada"), await signup("bob")
    post = await create_post(api, ada)
    update = (
        "mutation($i: UpdatePostInput!) { updatePost(input: $i) { title url version updatedAt } }"
    )
    changes = {"id": post["id"], "expectedVersion": 1, "title": "new", "url": "https://x.org"}
    result = await api.graphql(update, {"i": changes}, token=ada.token)
    assert result["data"]["updatePost"]["version"] == 2
    assert result["data"]["updatePost"]["url"] == "https://x.org"
    stale = await api.graphql(update, {"i": changes}, token=ada.token)
    assert error_codes(stale) == ["CONFLICT"]
    not_owner = await api.graphql(update, {"i": {**changes, "expectedVersion": 2}}, token=bob.token)
    assert error_codes(not_owner) == ["FORBIDDEN"]
    missing = base64.urlsafe_b64encode(b"Post:01ARZ3NDEKTSV4RRFFQ69G5FAV").decode()
    gone = await api.graphql(update, {"i": {**changes, "id": missing}}, token=ada.token)
    assert error_codes(gone) == ["NOT_FOUND"]


async def test_delete_post_owner_rule_and_cascade(api: Api, signup: Any) -> None:
    ada, bob = await signup("ada"), await signup("bob")
    post = await create_post(api, ada, tags=["gone"])
    comment = await api.graphql(
        'mutation($p: ID!) { addComment(input: {postId: $p, body: "hi"}) { id } }',
        {"p": post["id"]},
        token=bob.token,
    )
    assert "errors" not in comment
    delete = "mutation($id: ID!, $v: Int!) { deletePost(id: $id, expectedVersion: $v) }"
    forbidden = await api.graphql(delete, {"id": post["id"], "v": 1}, token=bob.token)
    assert error_codes(forbidden) == ["FORBIDDEN"]
    conflict = await api.graphql(delete, {"id": post["id"], "v": 9}, token=ada.token)
    assert error_codes(conflict) == ["CONFLICT"]
    deleted = await api.graphql(delete, {"id": post["id"], "v": 1}, token=ada.token)
    assert deleted == {"data": {"deletePost": post["id"]}}
    after = await api.graphql(
        "query($id: ID!, $c: ID!, $u: ID!) { post(id: $id) { id } comment: node(id: $c) { id }"
        ' postsByTag(tag: "gone") { edges { cursor } }'
        " user: node(id: $u) { ... on User { comments { edges { cursor } } } } }",
        {"id": post["id"], "c": comment["data"]["addComment"]["id"], "u": bob.id},
    )
    assert after == {"data": {"post": None, "comment": None, "postsByTag": {"edges": []},
                              "user": {"comments": {"edges": []}}}}  # fmt: skip
    again = await api.graphql(delete, {"id": post["id"], "v": 1}, token=ada.token)
    assert error_codes(again) == ["NOT_FOUND"]


# Votes


async def test_votes_and_viewer_vote(api: Api, signup: Any) -> None:
    ada, bob = await signup("ada"), await signup("bob")
    post = await create_post(api, ada)
    vote = "mutation($p: ID!, $d: VoteDirection!) { vote(postId: $p, direction: $d) { ups downs viewerVote } }"  # noqa: E501
    assert (await api.graphql(vote, {"p": post["id"], "d": "UP"}, token=ada.token))["data"][
        "vote"
    ] == {"ups": 1, "downs": 0, "viewerVote": "UP"}
    assert (await api.graphql(vote, {"p": post["id"], "d": "DOWN"}, token=bob.token))["data"][
        "vote"
    ] == {"ups": 1, "downs": 1, "viewerVote": "DOWN"}
    assert (await api.graphql(vote, {"p": post["id"], "d": "NONE"}, token=ada.token))["data"][
        "vote"
    ] == {"ups": 0, "downs": 1, "viewerVote": "NONE"}
    seen = await api.graphql(
        "query($id: ID!) { post(id: $id) { viewerVote } }", {"id": post["id"]}, token=bob.token
    )
    assert seen == {"data": {"post": {"viewerVote": "DOWN"}}}
    bad = await api.graphql(vote, {"p": post["id"], "d": "SIDEWAYS"}, token=ada.token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


# Tags


async def test_tags_owner_rule_and_posts_by_tag(api: Api, signup: Any) -> None:
    ada, bob = await signup("ada"), await signup("bob")
    post = await create_post(api, ada)
    add = "mutation($p: ID!, $t: String!) { addTag(postId: $p, tag: $t) { tags version } }"
    remove = "mutation($p: ID!, $t: String!) { removeTag(postId: $p, tag: $t) { tags } }"
    result = await api.graphql(add, {"p": post["id"], "t": "python"}, token=ada.token)
    assert result == {"data": {"addTag": {"tags": ["python"], "version": 2}}}
    assert error_codes(await api.graphql(add, {"p": post["id"], "t": "x"}, token=bob.token)) == [
        "FORBIDDEN"
    ]
    assert error_codes(
        await api.graphql(remove, {"p": post["id"], "t": "python"}, token=bob.token)
    ) == ["FORBIDDEN"]
    assert error_codes(
        await api.graphql(add, {"p": post["id"], "t": "Py Thon"}, token=ada.token)
    ) == ["BAD_USER_INPUT"]
    by_tag = await api.graphql('{ postsByTag(tag: "python") { edges { node { id } } } }')
    assert by_tag == {"data": {"postsByTag": {"edges": [{"node": {"id": post["id"]}}]}}}
    result = await api.graphql(remove, {"p": post["id"], "t": "python"}, token=ada.token)
    assert result == {"data": {"removeTag": {"tags": []}}}
    by_tag = await api.graphql('{ postsByTag(tag: "python") { edges { node { id } } } }')
    assert by_tag == {"data": {"postsByTag": {"edges": []}}}


# Comments


async def test_comments_and_their_owner_rules(api: Api, signup: Any) -> None:
    ada, bob, eve = await signup("ada"), await signup("bob"), await signup("eve")
    post = await create_post(api, ada)
    add = (
        "mutation($p: ID!, $b: String!) { addComment(input: {postId: $p, body: $b})"
        " { id body author { username } post { commentCount } } }"
    )
    first = (await api.graphql(add, {"p": post["id"], "b": "one"}, token=bob.token))["data"][
        "addComment"
    ]
    assert first["author"] == {"username": "bob"}
    assert first["post"] == {"commentCount": 1}
    second = (await api.graphql(add, {"p": post["id"], "b": "two"}, token=bob.token))["data"][
        "addComment"
    ]
    delete = "mutation($id: ID!) { deleteComment(id: $id) }"
    assert error_codes(await api.graphql(delete, {"id": first["id"]}, token=eve.token)) == [
        "FORBIDDEN"
    ]
    assert await api.graphql(delete, {"id": first["id"]}, token=bob.token) == {
        "data": {"deleteComment": first["id"]}
    }  # by its author
    assert await api.graphql(delete, {"id": second["id"]}, token=ada.token) == {
        "data": {"deleteComment": second["id"]}
    }  # by the post's author
    assert error_codes(await api.graphql(delete, {"id": first["id"]}, token=bob.token)) == [
        "NOT_FOUND"
    ]
    empty = await api.graphql(add, {"p": post["id"], "b": " "}, token=bob.token)
    assert error_codes(empty) == ["BAD_USER_INPUT"]
    count = await api.graphql("query($id: ID!) { post(id: $id) { commentCount } }",
                              {"id": post["id"]})  # fmt: skip
    assert count == {"data": {"post": {"commentCount": 0}}}


# Pagination


async def _pages(api: Api, query: str, path: list[str], first: int, **variables: Any) -> Any:
    """Follows endCursor to the end: [[node ids of page 1], [page 2], ...]."""
    pages, after = [], None
    while True:
        result = await api.graphql(query, {"first": first, "after": after, **variables})
        assert "errors" not in result, result
        connection = result["data"]
        for step in path:
            connection = connection[step]
        pages.append([edge["node"]["id"] for edge in connection["edges"]])
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]


PAGE = "edges { cursor node { id } } pageInfo { hasNextPage endCursor }"


async def test_pagination_across_pages_on_every_list(api: Api, signup: Any) -> None:
    ada, bob = await signup("ada"), await signup("bob")
    posts = [await create_post(api, ada, f"p{i}", tags=["t"]) for i in range(5)]
    bobs = await create_post(api, bob)
    comments = []
    for i in range(5):
        result = await api.graphql(
            "mutation($p: ID!, $b: String!) { addComment(input: {postId: $p, body: $b}) { id } }",
            {"p": posts[0]["id"], "b": f"c{i}"},
            token=bob.token,
        )
        comments.append(result["data"]["addComment"]["id"])
    newest_first = [p["id"] for p in reversed(posts)]
    args = "($first: Int!, $after: String"
    feed = await _pages(api, f"query{args}) {{ posts(first: $first, after: $after) {{ {PAGE} }} }}",
                        ["posts"], 2)  # fmt: skip
    everyone = [bobs["id"], *newest_first]
    assert feed == [everyone[:2], everyone[2:4], everyone[4:]]
    by_user = await _pages(
        api,
        f"query{args}, $u: ID!) {{ user(id: $u) {{ posts(first: $first, after: $after) {{ {PAGE} }} }} }}",  # noqa: E501
        ["user", "posts"], 2, u=ada.id,
    )  # fmt: skip
    assert by_user == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    by_tag = await _pages(
        api,
        f'query{args}) {{ postsByTag(tag: "t", first: $first, after: $after) {{ {PAGE} }} }}',
        ["postsByTag"], 3,
    )  # fmt: skip
    assert by_tag == [newest_first[:3], newest_first[3:]]
    on_post = await _pages(
        api,
        f"query{args}, $p: ID!) {{ post(id: $p) {{ comments(first: $first, after: $after) {{ {PAGE} }} }} }}",  # noqa: E501
        ["post", "comments"], 2, p=posts[0]["id"],
    )  # fmt: skip
    assert on_post == [comments[:2], comments[2:4], comments[4:]]
    of_user = await _pages(
        api,
        f"query{args}, $u: ID!) {{ user(id: $u) {{ comments(first: $first, after: $after) {{ {PAGE} }} }} }}",  # noqa: E501
        ["user", "comments"], 4, u=bob.id,
    )  # fmt: skip
    assert of_user == [comments[::-1][:4], comments[::-1][4:]]


async def test_page_size_limits(api: Api) -> None:
    for first in (0, 101, -5):
        result = await api.graphql("query($f: Int!) { posts(first: $f) { edges { cursor } } }",
                                   {"f": first})  # fmt: skip
        assert error_codes(result) == ["BAD_USER_INPUT"], first
    assert "errors" not in await api.graphql("{ posts(first: 100) { edges { cursor } } }")


async def test_bad_forged_and_foreign_cursors_are_refused(api: Api, signup: Any) -> None:
    ada, bob = await signup("ada"), await signup("bob")
    for member in (ada, ada, bob, bob):
        await create_post(api, member)
    query = "query($u: ID!, $a: String) { user(id: $u) { posts(first: 1, after: $a) { pageInfo { endCursor } } } }"  # noqa: E501
    cursor = (await api.graphql(query, {"u": ada.id}))["data"]["user"]["posts"]["pageInfo"][
        "endCursor"
    ]
    store_part, _, mac = cursor.rpartition(".")
    raw = json.loads(base64.urlsafe_b64decode(store_part + "=="))
    raw["GSI1PK"] = "USER#" + "0" * 26
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=") + "." + mac
    feed_query = "query($a: String) { posts(first: 1, after: $a) { edges { cursor } } }"
    for bad, target in [
        ("garbage", query),
        (forged, query),
        (cursor + "x", query),
        (cursor, feed_query),  # a cursor from another list
    ]:
        result = await api.graphql(target, {"u": bob.id, "a": bad})
        assert error_codes(result) == ["BAD_USER_INPUT"], bad
        assert "cursor" in result["errors"][0]["message"]
    foreign = await api.graphql(query, {"u": bob.id, "a": cursor})  # ada's posts' cursor on bob
    assert error_codes(foreign) == ["BAD_USER_INPUT"]


# Failures


async def test_unexpected_errors_are_masked_with_a_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    await api.graphql("{ posts { edges { cursor } } }")  # the app's client now exists
    store = api.app.state.resources._store
    original = store.table.name
    store.table.name = "table-that-does-not-exist"
    try:
        result = await api.graphql("{ posts { edges { cursor } } }")
    finally:
        store.table.name = original
    (error,) = result["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"]
    text = json.dumps(result)
    assert "ResourceNotFound" not in text
    assert "Traceback" not in text
    assert "botocore" not in text


async def test_top_posts_follow_votes(api: Api, signup: Any) -> None:
    ada, bob, eve = await signup("ada"), await signup("bob"), await signup("eve")
    low = await create_post(api, ada, "low")
    high = await create_post(api, ada, "high")
    mid = await create_post(api, ada, "mid")
    vote = "mutation($p: ID!, $d: VoteDirection!) { vote(postId: $p, direction: $d) { score } }"
    for member, post, direction in [(bob, high, "UP"), (eve, high, "UP"), (bob, mid, "UP"),
                                    (eve, low, "DOWN")]:  # fmt: skip
        result = await api.graphql(vote, {"p": post["id"], "d": direction}, token=member.token)
        assert "errors" not in result, result
    top = await api.graphql(
        "query($u: ID!) { user(id: $u) { topPosts(first: 2) { edges { node { title score } } "
        "pageInfo { hasNextPage endCursor } } } }",
        {"u": ada.id},
    )
    connection = top["data"]["user"]["topPosts"]
    assert [e["node"] for e in connection["edges"]] == [
        {"title": "high", "score": 2}, {"title": "mid", "score": 1}]  # fmt: skip
    assert connection["pageInfo"]["hasNextPage"] is True
    rest = await api.graphql(
        "query($u: ID!, $a: String) { user(id: $u) { topPosts(first: 2, after: $a) "
        "{ edges { node { title score } } } } }",
        {"u": ada.id, "a": connection["pageInfo"]["endCursor"]},
    )
    assert rest["data"]["user"]["topPosts"]["edges"] == [{"node": {"title": "low", "score": -1}}]
