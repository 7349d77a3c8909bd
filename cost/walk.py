"""What an operation will cost, predicted before it runs, in DynamoDB's own units.

`predict` walks the validated operation (fragments, aliases, @skip and @include, variables
resolved) and lets each field's rule (its Strawberry metadata: cost/rules.py, cost/plans.py)
add its worst case to the round trip it runs in, the way the loaders schedule them
(resolvers/waves.py). Mutation fields run one after another, each with the calls its write
makes in order.
"""

from __future__ import annotations

from collections.abc import Mapping
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

from .fields import strawberry_field
from .prediction import COST, At, Call, Prediction, Rule


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
