"""What an operation will cost, predicted before it runs, in DynamoDB's own units.

Every field that reads or writes declares its access pattern's cost next to its resolver
(`metadata=cost(...)`). `predict` walks the validated operation (fragments, aliases, @skip and
@include, variables resolved) and lets each rule add its worst case to the round trip it runs
in, the way the loaders schedule them (waves.py): the item loads of one wave share BatchGetItem
calls of 100 keys, its Queries run side by side, and a wave is one round trip unless a Query
must follow LastEvaluatedKey past DynamoDB's 1 MB page. Mutation fields run one after another,
each with the calls its write makes in order.

Worst case means: every list full, every key distinct and present, every item as large as the
input limits allow (store/bounds.py), priced by DynamoDB's billing rules (store/cost.py). What
the loaders save at run time (cached items, short pages) makes the actual cost lower, never
higher; retries are reported apart and not predicted.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values

from store import (
    Comment,
    InvalidInput,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    Vote,
)
from store.attrs import RawItem, marshal_item
from store.bounds import ULID, largest, largest_item
from store.cost import (
    EVENTUAL,
    STRONG,
    Index,
    batch_read_units,
    condition_check_units,
    query_read_units,
    write_units,
)
from store.keys import GSI1, SHAPE
from store.model import Model
from store.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, check_page_size
from store.table import BATCH_GET_LIMIT, BATCH_WRITE_CONCURRENCY, BATCH_WRITE_LIMIT
from store.writes import NewPost, new_body, new_comment

from .definitions import strawberry_field
from .ids import parse_global_id

COST = "singlet.cost"  # the key of a field's rule in its Strawberry metadata
PAGE_BYTES = 1024 * 1024  # a Query returns at most 1 MB of items per call
SWEEP_BOUND = 1_000  # deletePost's prediction assumes at most this many comments, votes, tags


# What rules see and say


@dataclass(frozen=True)
class At:
    """Values a field yields: how many (across all parents) and after which round trip."""

    count: int
    ready: int
    page: int = 1  # items in each connection, for its edges
    runtime: str | None = None  # the object type, when the field's type is an interface
    primed: Mapping[str, int] = field(default_factory=dict)  # connection field -> its `first`


@dataclass
class Call:
    """One field's call site: where a rule adds its cost."""

    path: str
    args: dict[str, Any]
    parents: At
    prediction: Prediction
    subfields: Callable[[str], dict[str, list[FieldDetails]]]  # by object type name
    arguments: Callable[[str, list[FieldDetails]], dict[str, Any]]  # of a subfield

    @property
    def first(self) -> int:
        return int(self.args.get("first", DEFAULT_PAGE_SIZE))

    @property
    def refused(self) -> bool:
        """The page size is out of range: the resolver refuses the field, calling nothing."""
        try:
            check_page_size(self.first)
        except InvalidInput:
            return True
        return False


Rule = Callable[[Call], At]


def cost(rule: Rule) -> dict[str, Any]:
    """A field's Strawberry metadata: its cost rule."""
    return {COST: rule}


# The prediction


@dataclass
class Wave:
    keys: int = 0  # BatchGetItem keys (eventually consistent, from the loaders)
    key_units: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)  # Queries and direct calls
    pages: int = 1  # the longest run of sequential calls in this wave
    units: float = 0.0
    write_units: float = 0.0
    items: int = 0

    @property
    def batch_calls(self) -> int:
        return math.ceil(self.keys / BATCH_GET_LIMIT)


@dataclass
class Contribution:
    calls: float = 0.0  # a share of a BatchGetItem counts keys / 100
    read_units: float = 0.0
    write_units: float = 0.0


@dataclass
class Prediction:
    waves: defaultdict[int, Wave] = field(default_factory=lambda: defaultdict(Wave))
    by_path: defaultdict[str, Contribution] = field(
        default_factory=lambda: defaultdict(Contribution)
    )
    signed_in: bool = False
    needs_viewer: bool = False  # the caller's identity link is loaded in the first wave

    # Figures

    @property
    def calls(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for wave in self.waves.values():
            total += wave.calls
            if wave.keys:
                total["BatchGetItem"] += wave.batch_calls
        return total

    @property
    def round_trips(self) -> int:
        return sum(w.pages for w in self.waves.values() if w.keys or w.calls)

    @property
    def items(self) -> int:
        return sum(w.items for w in self.waves.values())

    @property
    def read_units(self) -> float:
        return sum(w.units + w.key_units for w in self.waves.values())

    @property
    def write_units(self) -> float:
        return sum(w.write_units for w in self.waves.values())

    def summary(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "roundTrips": self.round_trips,
            "items": self.items,
            "readUnits": self.read_units,
            "writeUnits": self.write_units,
        }

    def top(self, n: int = 3) -> list[dict[str, Any]]:
        """The paths that contribute most (calls first, then read units)."""
        ranked = sorted(
            self.by_path.items(),
            key=lambda kv: (kv[1].calls, kv[1].read_units),
            reverse=True,
        )
        return [
            {"path": path, "calls": math.ceil(c.calls), "readUnits": c.read_units}
            for path, c in ranked[:n]
            if c.calls or c.read_units
        ]  # fmt: skip

    # What rules add

    def load_items(self, at: int, entity: type[Model], count: int, path: str) -> None:
        """`count` keys for the items loader in wave `at` (AP1: BatchGetItem)."""
        if count <= 0:
            return
        units = count * batch_read_units([largest(entity)], EVENTUAL)
        wave = self.waves[at]
        wave.keys += count
        wave.key_units += units
        wave.items += count
        contribution = self.by_path[path]
        contribution.calls += count / BATCH_GET_LIMIT
        contribution.read_units += units

    def query(
        self,
        at: int,
        count: int,
        entries: Sequence[tuple[type[Model], Index | None, int]],
        path: str,
        rate: float = EVENTUAL,
    ) -> None:
        """`count` Queries in wave `at`, each reading up to `entries`: (entity, index, how
        many), following LastEvaluatedKey past 1 MB pages."""
        if count <= 0:
            return
        sizes = [largest(entity, index) for entity, index, n in entries for _ in range(n)]
        pages, units = _pages(sizes, rate)
        wave = self.waves[at]
        wave.calls["Query"] += count * pages
        wave.pages = max(wave.pages, pages)
        wave.units += count * units
        wave.items += count * len(sizes)
        contribution = self.by_path[path]
        contribution.calls += count * pages
        contribution.read_units += count * units

    def direct(
        self,
        at: int,
        operation: str,
        path: str,
        *,
        read_units: float = 0.0,
        write_units: float = 0.0,
        items: int = 0,
        calls: int = 1,
        sequential: int = 1,
    ) -> None:
        """A call the store makes itself (writes, consistent reads), in its own round trip."""
        wave = self.waves[at]
        wave.calls[operation] += calls
        wave.pages = max(wave.pages, sequential)
        wave.units += read_units
        wave.write_units += write_units
        wave.items += items
        contribution = self.by_path[path]
        contribution.calls += calls
        contribution.read_units += read_units
        contribution.write_units += write_units

    def viewer_link(self) -> int:
        """The caller's identity link: prefetched in the first wave. Returns that wave."""
        if not self.needs_viewer:
            self.needs_viewer = True
            self.load_items(1, SubjectLink, 1, "viewer")
        return 1


def _pages(sizes: list[int], rate: float) -> tuple[int, float]:
    """Query calls and read units to read items of `sizes` in order: a call returns items
    until their total passes 1 MB, the item that passes it included."""
    pages, units, page = 1, 0.0, 0
    for position, size in enumerate(sizes):
        page += size
        if page >= PAGE_BYTES and position < len(sizes) - 1:
            units += query_read_units([page], rate)
            pages, page = pages + 1, 0
    return pages, units + query_read_units([page], rate)


# Rules: reads


def item(entity: type[Model]) -> Rule:
    """AP1: one item per parent, through the items loader."""

    def rule(call: Call) -> At:
        at = call.parents.ready + 1
        call.prediction.load_items(at, entity, call.parents.count, call.path)
        return At(call.parents.count, at)

    return rule


def page(entity: type[Model], index: Index | None, queries: int = 1) -> Rule:
    """A connection read with `queries` Queries per page (AP3-AP6, AP9), Limit first + 1."""

    def rule(call: Call) -> At:
        if call.refused:
            return At(0, call.parents.ready)
        at = call.parents.ready + 1
        entries = [(entity, index, call.first + 1)]
        call.prediction.query(at, call.parents.count * queries, entries, call.path)
        return At(call.parents.count, at, page=call.first)

    return rule


def comments_page(call: Call) -> At:
    """AP4, unless the post's own Query brought this page already (post(id) looks ahead)."""
    if call.refused:
        return At(0, call.parents.ready)
    if call.args.get("after") is None and call.parents.primed.get("comments") == call.first:
        return At(call.parents.count, call.parents.ready, page=call.first)
    return page(Comment, None)(call)


def ids_then_items(entity: type[Model], link: type[Model], index: Index) -> Rule:
    """AP7: a Query of link items, then the items they name in the next wave."""

    def rule(call: Call) -> At:
        if call.refused:
            return At(0, call.parents.ready)
        at = call.parents.ready + 1
        entries = [(link, index, call.first + 1)]
        call.prediction.query(at, call.parents.count, entries, call.path)
        call.prediction.load_items(at + 1, entity, call.parents.count * call.first, call.path)
        return At(call.parents.count, at + 1, page=call.first)

    return rule


def user_lookup(call: Call) -> At:
    """user(id | username): AP1 by id, AP2 (a Query on GSI1, Limit 1) by username."""
    if call.args.get("username") is None:
        return item(User)(call)
    at = call.parents.ready + 1
    call.prediction.query(at, call.parents.count, [(User, GSI1, 1)], call.path)
    return At(call.parents.count, at)


_NODE_TYPES: dict[str, type[Model]] = {"User": User, "Post": Post, "Comment": Comment}


def node(call: Call) -> At:
    """node(id): the id names the type, and the type the item."""
    try:
        type_name, _ = parse_global_id(str(call.args["id"]))
    except InvalidInput:
        return At(0, call.parents.ready)  # refused by the resolver: no call
    if type_name not in _NODE_TYPES:
        return At(0, call.parents.ready)
    found = item(_NODE_TYPES[type_name])(call)
    return At(found.count, found.ready, runtime=type_name)


def post(call: Call) -> At:
    """post(id): when the selection shows the first page of comments, one Query reads the
    head, the body and that page together (Limit first + 3); when it shows the content, the
    head and the body share a batch; otherwise AP1."""
    selected = {d[0].node.name.value: d for d in call.subfields("Post").values()}
    comments = [
        call.arguments("Post", details)
        for details in call.subfields("Post").values()
        if details[0].node.name.value == "comments"
    ]
    firsts = {
        -1 if args.get("after") is not None else int(args.get("first", DEFAULT_PAGE_SIZE))
        for args in comments
    }
    at = call.parents.ready + 1
    if len(firsts) == 1 and 1 <= (first := next(iter(firsts))) <= MAX_PAGE_SIZE:
        entries = [(Post, None, 1), (PostBody, None, 1), (Comment, None, first + 1)]
        call.prediction.query(at, call.parents.count, entries, call.path)
        return At(call.parents.count, at, primed={"comments": first, "content": 1})
    if "content" in selected:
        call.prediction.load_items(at, Post, call.parents.count, call.path)
        call.prediction.load_items(at, PostBody, call.parents.count, call.path)
        return At(call.parents.count, at, primed={"content": 1})
    return item(Post)(call)


def content(call: Call) -> At:
    """A post's content: in its body (the next wave), unless the post's read brought it."""
    if "content" in call.parents.primed:
        return At(call.parents.count, call.parents.ready)
    return item(PostBody)(call)


def viewers(entity: type[Model]) -> Rule:
    """An item keyed by the caller's user id: the identity link comes first (in the first
    wave), then `entity` for each parent (the viewer's User; AP8, their Vote on each post).
    Anonymous callers get null without a call."""

    def rule(call: Call) -> At:
        if not call.prediction.signed_in:
            return At(0, call.parents.ready)
        at = max(call.parents.ready, call.prediction.viewer_link()) + 1
        call.prediction.load_items(at, entity, call.parents.count, call.path)
        return At(call.parents.count, at)

    return rule


def edges(call: Call) -> At:
    return At(call.parents.count * call.parents.page, call.parents.ready)


# Rules: writes. Each mutation needs the caller's user id (the identity link) first, then
# makes its calls in order; the sizes are the largest the input limits allow.


def _changed(entity: type[Model], **attributes: RawItem) -> tuple[RawItem, RawItem]:
    before = largest_item(entity)
    return before, {**before, **attributes}


_OTHER = {"N": "8" * 38}  # another count of the same size
# What each kind of update changes on the largest item, by name.
_CHANGES: dict[str, RawItem] = {
    "vote": {Post.ups.name: _OTHER, Post.score.name: _OTHER},  # (score: GSI3's sort key)
    "count": {Post.comment_count.name: _OTHER},
    "version": {Post.version.name: _OTHER},
    "tags": {Post.tags.name: {"SS": ["z"]}, Post.version.name: _OTHER},
}


# Cached: a function of the declarations alone (the largest items are constants), and sizing
# every attribute of two items was a third of a vote's prediction, on every request.
@functools.cache
def _units(entity: type[Model], change: str | None, transactional: bool) -> float:
    """Write units of putting (change None) or changing (a `_CHANGES` kind) the largest
    `entity` item."""
    if change is None:
        return write_units(SHAPE, None, largest_item(entity), transactional).total
    before, after = _changed(entity, **_CHANGES[change])
    return write_units(SHAPE, before, after, transactional).total


@functools.cache
def _checked_user() -> float:
    """Write units of the condition check on the caller's user item."""
    return condition_check_units(largest_item(User)).total


def mutation(steps: Callable[[Call], list[tuple[str, float, float, int]]], *,
             subject_only: bool = False) -> Rule:  # fmt: skip
    """A mutation: (operation, read units, write units, calls) per step, in order."""

    def rule(call: Call) -> At:
        prediction = call.prediction
        if not prediction.signed_in:
            return At(0, call.parents.ready)  # refused: needs a token
        at = call.parents.ready
        if not subject_only:
            at = max(at, prediction.viewer_link())
        try:
            planned = steps(call)
        except InvalidInput:
            return At(1, at)  # the store refuses this input before it writes anything
        for operation, reads, writes, calls in planned:
            at += 1
            sequential = math.ceil(calls / BATCH_WRITE_CONCURRENCY) if calls > 1 else 1
            prediction.direct(at, operation, call.path, read_units=reads, write_units=writes,
                              calls=calls, sequential=sequential)  # fmt: skip
        return At(1, at)

    return rule


def _input(call: Call) -> dict[str, Any]:
    value = call.args.get("input")
    return value if isinstance(value, dict) else {}


def create_user_steps(call: Call) -> list[tuple[str, float, float, int]]:
    writes = sum(_units(e, None, True) for e in (User, UsernameClaim, SubjectLink))
    return [("TransactWriteItems", 0.0, writes, 1)]


def _new(entity: Model) -> float:
    """Write units of putting `entity` in a transaction: items a mutation creates from its
    input are known to the byte before it runs (ids are fixed-length ULIDs)."""
    return write_units(SHAPE, None, marshal_item(entity.item()), True).total


def create_post_steps(call: Call) -> list[tuple[str, float, float, int]]:
    values = _input(call)
    new = NewPost.of(
        ULID, ULID, values.get("title", ""), values.get("content", ""), values.get("url"),
        values.get("tags") or (),
    )  # fmt: skip
    writes = _checked_user() + sum(map(_new, new.entities()))
    return [("TransactWriteItems", 0.0, writes, 1)]


def update_post_steps(call: Call) -> list[tuple[str, float, float, int]]:
    """The head alone (UpdateItem); with new content, the body too, in a transaction, and the
    head read back."""
    if _input(call).get("content") is None:
        return [("UpdateItem", 0.0, _units(Post, "version", False), 1)]
    body = new_body(ULID, _input(call)["content"])
    writes = _units(Post, "version", True) + _new(body)
    return [("TransactWriteItems", 0.0, writes, 1), ("BatchGetItem", _strong(Post), 0.0, 1)]


def delete_post_steps(call: Call) -> list[tuple[str, float, float, int]]:
    """The mark, one Query of the item collection's keys, then deletes (see SWEEP_BOUND)."""
    mark = write_units(SHAPE, largest_item(Post), {}, False).total
    children = _units(PostBody, None, False) + SWEEP_BOUND * _units(Comment, None, False)
    batches = math.ceil(SWEEP_BOUND / BATCH_WRITE_LIMIT)
    return [
        ("UpdateItem", 0.0, mark, 1),
        ("Query", query_read_units([100 * SWEEP_BOUND], STRONG), 0.0, 1),
        ("BatchWriteItem", 0.0, children, batches),
        ("BatchWriteItem", 0.0, _units(Post, None, False), 1),
    ]


@functools.cache
def _strong(*entities: type[Model]) -> float:
    return batch_read_units([largest(e) for e in entities], STRONG)


def vote_steps(call: Call) -> list[tuple[str, float, float, int]]:
    writes = _units(Vote, None, True) + _units(Post, "vote", True)
    return [("BatchGetItem", _strong(Vote, Post), 0.0, 1),
            ("TransactWriteItems", 0.0, writes, 1)]  # fmt: skip


def tag_steps(call: Call) -> list[tuple[str, float, float, int]]:
    writes = _units(Post, "tags", True) + _units(TagLink, None, True)
    return [("TransactWriteItems", 0.0, writes, 1), ("BatchGetItem", _strong(Post), 0.0, 1)]


def add_comment_steps(call: Call) -> list[tuple[str, float, float, int]]:
    comment = new_comment(ULID, ULID, ULID, _input(call).get("body", ""))
    writes = _checked_user() + _new(comment) + _units(Post, "count", True)
    return [("TransactWriteItems", 0.0, writes, 1)]


def delete_comment_steps(call: Call) -> list[tuple[str, float, float, int]]:
    writes = _units(Comment, None, True) + _units(Post, "count", True)
    return [("BatchGetItem", _strong(Comment, Post), 0.0, 1),
            ("TransactWriteItems", 0.0, writes, 1)]  # fmt: skip


# The walk


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        signed_in: bool,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = variables
        self.fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.prediction = Prediction(signed_in=signed_in)

    def run(self) -> Prediction:
        root = self.schema.get_root_type(self.operation.operation)
        assert root is not None
        fields = collect_fields(
            self.schema, self.fragments, self.variables, root, self.operation
        ).grouped_field_set
        ready = 0
        serial = self.operation.operation == OperationType.MUTATION
        for key, details in fields.items():
            end = self.field(root, key, details, At(1, ready if serial else 0), key)
            if serial:
                ready = end
        return self.prediction

    def field(
        self, parent: GraphQLObjectType, key: str, details: list[FieldDetails], at: At, path: str
    ) -> int:
        """Adds the field's cost for `at.count` parents; returns its subtree's last wave."""
        name = details[0].node.name.value
        if name.startswith("__") or at.count == 0:
            return at.ready  # __typename, introspection: no DynamoDB call
        definition = parent.fields[name]
        declared = strawberry_field(definition)
        metadata: Mapping[str, Any] = (declared.metadata if declared is not None else None) or {}
        rule: Rule | None = metadata.get(COST)
        args = get_argument_values(definition, details[0].node, self.variables)
        if rule is None:
            result = At(at.count, at.ready, page=at.page, primed=at.primed)
        else:
            call = Call(path, args, at, self.prediction,
                        lambda t: self.subfields(t, details), self.arguments)  # fmt: skip
            result = rule(call)
        return self.complete(definition.type, details, result, path)

    def complete(
        self,
        type_: GraphQLOutputType,
        details: list[FieldDetails],
        at: At,
        path: str,
    ) -> int:
        named = get_named_type(type_)
        if is_leaf_type(named) or at.count == 0:
            return at.ready
        runtime = named if isinstance(named, GraphQLObjectType) else None
        if runtime is None and at.runtime is not None:
            found = self.schema.get_type(at.runtime)
            runtime = found if isinstance(found, GraphQLObjectType) else None
        if runtime is None:
            return at.ready  # an abstract value no rule resolved: never produced
        end = at.ready
        for key, sub in self.subfields(runtime.name, details).items():
            end = max(end, self.field(runtime, key, sub, at, f"{path}.{key}"))
        return end

    def arguments(self, type_name: str, details: list[FieldDetails]) -> dict[str, Any]:
        parent = self.schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType)
        definition = parent.fields[details[0].node.name.value]
        return get_argument_values(definition, details[0].node, self.variables)

    def subfields(self, type_name: str, details: list[FieldDetails]) -> dict[str, Any]:
        runtime = self.schema.get_type(type_name)
        assert isinstance(runtime, GraphQLObjectType)
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, runtime, details
        )
        return dict(collected.grouped_field_set)


def predict(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    signed_in: bool,
) -> Prediction:
    """The operation's worst-case cost; see the module docstring."""
    return _Walk(schema, document, operation, variables, signed_in).run()
