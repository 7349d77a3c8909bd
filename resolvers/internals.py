"""Every use of a dependency's private internals, each kept because no public API does the job
as fast; nothing else in the project touches them.

- asyncio: the event loop's run queue, `loop._ready` (`ready_callbacks`). The waves
  (waves.py) dispatch when nothing else is runnable, checked once a loop turn; asyncio has no
  public way to ask.
- aiodataloader: `DataLoader.do_resolve_reject`, the undocumented step load() hands each
  uncached key's future to (`QueuingDataLoader` takes it over, so the loader's private queue
  and its own dispatch go unused), and `dispatch_queue_batch` (`dispatch`), which calls the
  batch function and settles each future, its key's own exception included.
- Strawberry: `Info._raw_info`, the graphql-core resolve info under a resolver's info
  (`resolve_info`: the field's nodes, the fragments and the graphql-core return type, none of
  which `Info` exposes; its `selected_fields` converts the whole subtree, arguments
  included); `Schema._schema`, the graphql-core schema our executor runs (`graphql_schema`);
  `Schema._warn_for_federation_directives` (`Schema`: it imports strawberry.federation,
  7 ms of a cold start); `StrawberryGraphQLCoreExecutionContext`, Strawberry's executor
  (not exported), whose resolve infos Strawberry's `Info` reads.
- graphql-core: `execute_field` and the completion methods it calls, which its `Executor`
  documents as not part of its public API (`:meta private:`), overridden by `LeafExecutor`
  for plain leaves (api/leaves.py says why).

pyproject.toml pins these dependencies to the versions this was checked on, and
tests/resolvers/test_internals.py fails, naming the dependency and its version, on an upgrade
that changes any of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sized
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

import strawberry
from aiodataloader import DataLoader, Loader, dispatch_queue_batch
from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

K = TypeVar("K")
V = TypeVar("V")

# asyncio


def ready_callbacks(loop: asyncio.AbstractEventLoop) -> int | None:
    """How many callbacks the loop has ready to run; None for a loop without asyncio's run
    queue (uvloop)."""
    ready: Sized | None = getattr(loop, "_ready", None)
    return None if ready is None else len(ready)


# aiodataloader

# A load as aiodataloader queues and dispatches it: (key, future).
Load = Loader


class QueuingDataLoader(DataLoader[K, V], Generic[K, V]):
    """A DataLoader whose loads are queued by `queue` and dispatched by the subclass (with
    `dispatch`), never by aiodataloader's own one-tick schedule."""

    def do_resolve_reject(self, key: K, future: asyncio.Future[V]) -> None:
        self.queue(Load(key=key, future=future))

    def queue(self, load: Load) -> None:
        raise NotImplementedError


def dispatch(loader: DataLoader[Any, Any], loads: list[Load]) -> Coroutine[Any, Any, None]:
    """Calls the loader's batch function with the loads' keys and settles each load's future
    with its value or its own exception (the whole batch's, if the batch fails)."""
    batch: Coroutine[Any, Any, None] = dispatch_queue_batch(loader, loads)
    return batch


# Strawberry


def resolve_info(info: Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info, which Strawberry's `info` wraps."""
    raw: GraphQLResolveInfo[Any] = info._raw_info
    return raw


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry builds: types, fields and resolvers."""
    return schema._schema


class Schema(strawberry.Schema):
    """Strawberry's schema, looking for federation directives only among declared ones."""

    def _warn_for_federation_directives(self) -> None:
        # Strawberry imports strawberry.federation to look for federation directives among
        # the types' directives: 7 ms of a Lambda cold start. Ours declare no directives, so
        # the look is needed only if one ever does.
        if any(t.definition.directives for t in self.schema_converter.type_map.values()):
            super()._warn_for_federation_directives()


# Strawberry and graphql-core: field execution

ExecutionContext = StrawberryGraphQLCoreExecutionContext


class Leaf(NamedTuple):
    field: GraphQLField
    read: Callable[[Any, str], object]  # Strawberry's default resolver: getattr by default
    name: str  # the Python attribute
    leaf_type: GraphQLLeafType
    non_null: bool


class LeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the fields in `leaves` read directly."""

    leaves: ClassVar[Mapping[tuple[str, str], Leaf]] = {}

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any | None,
    ) -> Any:
        field_name = field_details_list[0].node.name.value
        leaf = self.leaves.get((parent_type.name, field_name))
        if leaf is None or self.middleware_manager is not None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        # As graphql-core's execute_field and complete_value would, for this type of field.
        try:
            result = leaf.read(source, leaf.name)
            if self.is_awaitable(result):
                return self._complete_later(
                    leaf, parent_type, field_details_list, path, result, position_context
                )
            if isinstance(result, Exception):
                raise result
            if result is None:
                if leaf.non_null:
                    raise TypeError(
                        f"Cannot return null for non-nullable field {parent_type}.{field_name}."
                    )
                return None
            return self.complete_leaf_value(leaf.leaf_type, result)
        except Exception as raw_error:
            self.handle_field_error(raw_error, leaf.field.type, field_details_list, path)
            return None

    def _complete_later(
        self,
        leaf: Leaf,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any | None,
    ) -> Any:
        nodes = [details.node for details in field_details_list]
        info = self.build_resolve_info(leaf.field, nodes, parent_type, path)
        return self.complete_awaitable_value(
            leaf.field.type, field_details_list, info, path, result, position_context
        )
