"""The private internals resolvers/internals.py uses behave as it uses them, on the installed
releases: an upgrade that changes one fails here, naming the dependency and its version."""

from __future__ import annotations

import asyncio
import inspect
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path as FilePath
from typing import Any, ClassVar, cast

import pytest
import strawberry
from graphql import (
    ExecutionResult,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    execute,
    parse,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from cost.fields import strawberry_field
from resolvers.internals import (
    ExecutionContext,
    Load,
    QueuingDataLoader,
    Schema,
    dispatch,
    graphql_schema,
    ready_callbacks,
    resolve_info,
)


@contextmanager
def relied_on(dependency: str, what: str) -> Iterator[None]:
    """Any failure inside, a failed assertion or an error, is reported as the release's."""
    release = f"Python {platform.python_version()}" if dependency == "Python" else (
        f"{dependency} {version(dependency)}")  # fmt: skip
    try:
        yield
    except Exception as error:
        raise AssertionError(
            f"{release} changed {what}, which resolvers/internals.py relies on "
            f"({type(error).__name__}: {error}); adapt internals.py to it, then move the pin "
            "in pyproject.toml"
        ) from error


# asyncio


def test_asyncio_loop_counts_the_callbacks_still_to_run_this_turn() -> None:
    loop = asyncio.new_event_loop()
    try:
        with relied_on("Python", "asyncio's event loop run queue (loop._ready)"):
            assert ready_callbacks(loop) == 0
            seen: list[int | None] = []
            loop.call_soon(lambda: seen.append(ready_callbacks(loop)))
            loop.call_soon(lambda: seen.append(ready_callbacks(loop)))
            assert ready_callbacks(loop) == 2  # call_soon queues
            loop.call_soon(loop.stop)
            loop.run_forever()
            # Each callback sees those queued behind it in the same turn (what waves.py asks).
            assert seen == [2, 1]
            assert ready_callbacks(loop) == 0
    finally:
        loop.close()


def test_a_loop_without_asyncios_run_queue_says_nothing() -> None:
    elsewhere = cast(asyncio.AbstractEventLoop, object())  # uvloop's has no _ready
    assert ready_callbacks(elsewhere) is None


# aiodataloader


class Recording(QueuingDataLoader[int, str]):
    def __init__(self) -> None:
        super().__init__(cast(Any, self.load_batch))  # per-key errors: see waves.py
        self.loads: list[Load] = []
        self.batches: list[list[int]] = []

    def queue(self, load: Load) -> None:
        self.loads.append(load)

    async def load_batch(self, keys: list[int]) -> list[str | Exception]:
        self.batches.append(keys)
        if 0 in keys:
            raise RuntimeError("the whole batch failed")
        return [ValueError(f"no {k}") if k < 0 else f"v{k}" for k in keys]


async def test_aiodataloader_hands_each_uncached_load_over_and_dispatches_none() -> None:
    with relied_on("aiodataloader", "DataLoader.do_resolve_reject"):
        loader = Recording()
        first, second, again = loader.load(1), loader.load(2), loader.load(1)
        assert again is first  # cached: not queued again
        assert [(load.key, load.future) for load in loader.loads] == [(1, first), (2, second)]
        for _ in range(5):  # aiodataloader's own dispatch would have run a turn later
            await asyncio.sleep(0)
        assert loader.batches == []
        assert not first.done()


async def test_aiodataloader_dispatch_settles_each_load_with_its_value_or_error() -> None:
    with relied_on("aiodataloader", "dispatch_queue_batch and Loader"):
        loader = Recording()
        found, missing = loader.load(1), loader.load(-1)
        await dispatch(loader, loader.loads)
        assert loader.batches == [[1, -1]]
        assert found.result() == "v1"
        assert isinstance(missing.exception(), ValueError)  # that key's own error only
        loader.loads.clear()
        failed = loader.load(0)
        await dispatch(loader, loader.loads)
        assert str(failed.exception()) == "the whole batch failed"
        assert loader.load(0) is not failed  # a failed batch is not cached


# Strawberry


SEEN: list[tuple[Any, ...]] = []  # what `hello` found in its graphql-core resolve info


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, info: strawberry.Info, n: int = 1) -> str:
        raw = resolve_info(info)
        SEEN.append((raw.field_name, [node.name.value for node in raw.field_nodes],
                     sorted(raw.fragments), str(raw.return_type), raw.context,
                     info.variable_values))  # fmt: skip
        return "hi" * n


DOCUMENT = "query($n: Int!) { ...F } fragment F on Query { hello(n: $n) }"


def _execute(executor_class: type[Executor[Any]]) -> ExecutionResult:
    SEEN.clear()
    result = execute(graphql_schema(strawberry.Schema(Query)), parse(DOCUMENT),
                     context_value="ctx", variable_values={"n": 2},
                     executor_class=executor_class, operation_extensions=None)  # fmt: skip
    assert isinstance(result, ExecutionResult)  # no resolver awaits
    return result


def test_strawberry_info_wraps_graphql_cores_resolve_info() -> None:
    with relied_on("strawberry-graphql", "Info._raw_info"):
        result = _execute(ExecutionContext)
        assert result.errors is None
        assert result.data == {"hello": "hihi"}
        assert SEEN == [("hello", ["hello"], ["F"], "String!", "ctx", {"n": 2})]


def test_strawberry_schema_holds_the_graphql_core_schema_it_runs() -> None:
    with relied_on("strawberry-graphql", "Schema._schema"):
        schema = graphql_schema(strawberry.Schema(Query))
        assert isinstance(schema, GraphQLSchema)
        assert schema.query_type is not None
        declared = strawberry_field(schema.query_type.fields["hello"])
        assert declared is not None
        assert declared.python_name == "hello"  # the field as Strawberry declared it


def test_strawberry_execution_context_is_graphql_cores_executor() -> None:
    with relied_on("strawberry-graphql", "StrawberryGraphQLCoreExecutionContext"):
        assert issubclass(ExecutionContext, Executor)
        # Its resolve infos are what Strawberry's Info reads (variables as a plain dict).
        assert _execute(ExecutionContext).data == {"hello": "hihi"}
        assert [seen[-1] for seen in SEEN] == [{"n": 2}]


FEDERATION = "strawberry.federation.schema_directives"
BUILD = f"""
import sys, strawberry
from resolvers.internals import Schema

@strawberry.type
class Query:
    x: int

(Schema if sys.argv[1] == "ours" else strawberry.Schema)(query=Query)
print("{FEDERATION}" in sys.modules)
"""


def _imports_federation(schema: str) -> bool:
    root = FilePath(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", BUILD, schema], cwd=root,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip() == "True"


def test_strawberry_schema_looks_for_federation_only_where_directives_are() -> None:
    with relied_on("strawberry-graphql", "Schema._warn_for_federation_directives"):
        assert _imports_federation("strawberry")  # Strawberry's own look imports it
        assert not _imports_federation("ours")


@strawberry.type(directives=[Key(fields=FieldSet("id"))])
class Federated:
    id: strawberry.ID


@strawberry.type
class FederatedQuery:
    thing: Federated


def test_strawberry_schema_still_warns_of_federation_directives() -> None:
    with (
        relied_on("strawberry-graphql", "Schema._warn_for_federation_directives"),
        pytest.warns(UserWarning, match="Federation directive found"),
    ):
        Schema(query=FederatedQuery)


# graphql-core


PRIVATE_METHODS = {
    "execute_field": ["parent_type", "source", "field_details_list", "path", "position_context"],
    "build_resolve_info": ["field_def", "field_nodes", "parent_type", "path"],
    "handle_field_error": ["raw_error", "return_type", "field_details_list", "path"],
    "complete_leaf_value": ["return_type", "result"],
    "complete_awaitable_value": ["return_type", "field_details_list", "info", "path", "result",
                                 "position_context"],
}  # fmt: skip


def test_graphql_core_field_execution_methods_take_what_leaf_executor_passes() -> None:
    with relied_on("graphql-core", "the Executor's field execution methods"):
        for name, parameters in PRIVATE_METHODS.items():
            found = list(inspect.signature(getattr(ExecutionContext, name)).parameters)
            assert found[found[0] == "self" :] == parameters, name


class Probing(ExecutionContext):
    """Records the fields it executes; its `probe` field runs each private method itself."""

    fields: ClassVar[list[tuple[str, str, list[str | int]]]] = []
    checked: ClassVar[list[str]] = []

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any | None,
    ) -> Any:
        name = field_details_list[0].node.name.value
        Probing.fields.append((parent_type.name, name, path.as_list()))
        assert self.middleware_manager is None  # no middleware: the leaf path applies
        if name != "probe":
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        assert self.complete_leaf_value(GraphQLInt, 3) == 3
        with pytest.raises(Exception, match="non-integer"):  # the leaf's error, caught
            self.complete_leaf_value(GraphQLInt, "x")
        field = parent_type.fields["probe"]
        nodes = [details.node for details in field_details_list]
        info = self.build_resolve_info(field, nodes, parent_type, path)
        assert (info.field_name, info.path, info.return_type) == ("probe", path, field.type)
        self.handle_field_error(ValueError("probed"), field.type, field_details_list, path)
        Probing.checked.append("sync")

        async def later() -> str:
            return "done"

        awaited = self.complete_awaitable_value(
            field.type, field_details_list, info, path, later(), position_context
        )
        assert self.is_awaitable(awaited)
        return awaited


async def test_graphql_core_executes_every_field_through_execute_field() -> None:
    leaf = GraphQLObjectType("Leaf", {"probe": GraphQLField(GraphQLString),
                                      "n": GraphQLField(GraphQLNonNull(GraphQLInt))})  # fmt: skip
    items = GraphQLField(GraphQLList(leaf), resolve=lambda *_: [{"n": 1}])
    schema = GraphQLSchema(GraphQLObjectType("Query", {"leaves": items}))
    with relied_on("graphql-core", "Executor.execute_field and the completion methods"):
        Probing.fields, Probing.checked = [], []
        result = execute(schema, parse("{ leaves { n probe } }"), executor_class=Probing,
                         operation_extensions=None)  # fmt: skip
        result = await result if not isinstance(result, ExecutionResult) else result
        assert Probing.fields == [
            ("Query", "leaves", ["leaves"]),
            ("Leaf", "n", ["leaves", 0, "n"]),
            ("Leaf", "probe", ["leaves", 0, "probe"]),
        ]
        assert Probing.checked == ["sync"]
        assert result.data == {"leaves": [{"n": 1, "probe": "done"}]}
        assert [(e.message, e.path) for e in result.errors or ()] == [
            ("probed", ["leaves", 0, "probe"])
        ]
