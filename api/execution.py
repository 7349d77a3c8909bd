"""One GraphQL operation, from its text to its result.

Parse, validate (both cached across requests: the limit rules are built once), pick the
operation, coerce its variables, predict its cost and refuse it over budget before any
DynamoDB call, then execute with the request's loaders, metering what it really costs, and
give every error its code (errors.py). Transport concerns (HTTP, media types, status codes)
are the caller's: see http.py.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.validation import ASTValidationRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from cost.budget import Budget
from cost.limiter import Allowance, Limiter
from cost.meter import WRITE_UNIT_WEIGHT, Usage, metering
from cost.prediction import Prediction
from cost.walk import predict
from model import InvalidInput
from model.errors import RateLimited

from . import errors
from .leaves import LeafExecutionContext

MAX_ALIASES = 30
MAX_TOKENS = 5_000
CACHE_SIZE = 256  # distinct documents kept parsed and validated
# A parsed document takes ~130 bytes a character of its text (its nodes and tokens): the
# characters bound the cache's memory (here ~65 MB at worst) where a count of documents
# could not (256 documents of 5,000 tokens would be ~450 MB, in a 1 GB Lambda).
CACHE_CHARACTERS = 512 * 1024


@dataclass(frozen=True)
class Operation:
    """What the client sent: the GraphQL request's parameters."""

    query: str
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None


@dataclass
class Outcome:
    """The GraphQL response, and what the transport needs to know about it."""

    data: dict[str, Any] | None = None
    errors: list[GraphQLError] = field(default_factory=list)
    executed: bool = False  # False: a request error; nothing ran (no `data` in the response)
    operation_type: OperationType | None = None
    prediction: Prediction | None = None
    usage: Usage | None = None
    allowance: Allowance | None = None
    throttle: dict[str, float] | None = None  # throttleStatus
    retry_after: int | None = None  # seconds: the caller's budget was spent (RATE_LIMITED)

    def cost(self) -> dict[str, Any] | None:
        """`extensions.cost`: the bound the request was admitted on (`requested`: calls,
        round trips and items exact, units a worst case, and `units` what it reserved
        first), what it consumed (`actual`, `units` charged), the limiter's own calls, and
        its caller's bucket."""
        if self.prediction is None:
            return None
        report: dict[str, Any] = {"requested": self.prediction.summary()}
        allowance = self.allowance
        if allowance is not None and allowance.rate is not None:
            report["requested"]["units"] = allowance.reserved
        if self.usage is not None:
            report["actual"] = self.usage.summary()
            if allowance is not None and allowance.charged is not None:
                report["actual"]["units"] = allowance.charged
        if allowance is not None and allowance.rate is not None:
            spent = allowance.spent
            report["limiter"] = {"calls": dict(sorted(spent.first_attempts.items())),
                                 "readUnits": spent.read_units,
                                 "writeUnits": spent.write_units}  # fmt: skip
        if self.throttle is not None:
            report["throttleStatus"] = self.throttle
        return report


class NotAllowed(Exception):
    """The operation's type may not be sent this way (a mutation over GET)."""

    def __init__(self, operation_type: OperationType) -> None:
        super().__init__(f"{operation_type.value} operations cannot be sent with GET: use POST")


class RequestContext(Protocol):
    """What resolvers get as `info.context` (resolvers.context.Context, or the benchmark's
    baseline): anything it started is finished by `settle` before the response goes out."""

    async def settle(self) -> None: ...


ContextFactory = Callable[[bool], RequestContext]  # prefetch the viewer's identity link?


@dataclass(frozen=True)
class Checked:
    """A document as parsing and validation left it: `document` None when it did not parse.

    Shared by every request that sends the same text, so never changed by one: the errors are
    graphql-core's, uncoded; `Executor.run` answers with coded copies (errors.classify).
    Nothing here depends on a request: variables and the operation name are checked per
    request, after the cache (`Executor.prepare`).
    """

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]


class DocumentCache:
    """Checked documents by their text, least recently used first out, bounded in entries
    and in the characters of their texts. A text longer than an eighth of the characters is
    never kept: one large document must not push out all the others."""

    def __init__(self, entries: int, characters: int) -> None:
        self.entries = entries
        self.max_characters = characters
        self.characters = 0
        self._checked: OrderedDict[str, Checked] = OrderedDict()

    def __len__(self) -> int:
        return len(self._checked)

    def get(self, query: str) -> Checked | None:
        checked = self._checked.get(query)
        if checked is not None:
            self._checked.move_to_end(query)
        return checked

    def put(self, query: str, checked: Checked) -> None:
        if self.entries <= 0 or len(query) > self.max_characters // 8:
            return
        if self._checked.pop(query, None) is not None:
            self.characters -= len(query)
        self._checked[query] = checked
        self.characters += len(query)
        while len(self._checked) > self.entries or self.characters > self.max_characters:
            evicted, _ = self._checked.popitem(last=False)
            self.characters -= len(evicted)


class Executor:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        max_depth: int = 12,
        introspection: bool = True,
        budget: Budget | None = None,
        cache_entries: int | None = None,
        cache_characters: int | None = None,
    ) -> None:
        self.schema = schema
        self.execution_context = LeafExecutionContext.for_schema(schema)
        self.budget = budget or Budget()
        # Two passes: the limits' rules walk fragments by name, so they run only on a
        # document the spec's rules found sound (no undefined or cyclic fragments). Every rule
        # is built here, once: the cache below is this executor's, so its answers hold for
        # this schema and these rules only. No rule reads variables or the operation name.
        self.rules = (*specified_rules, MaybeNullValidationRule, OneOfInputValidationRule)
        # Strawberry's limiting extensions, for their validation rules.
        limits: list[type[ASTValidationRule]] = [
            *QueryDepthLimiter(max_depth).validation_rules,
            *MaxAliasesLimiter(MAX_ALIASES).validation_rules,
        ]
        if not introspection:
            limits.append(NoSchemaIntrospectionCustomRule)
        self.limits = tuple(limits)
        # Per executor (per container): parsing and validating the same text again gives
        # the same answer, and GraphQL clients send the same few documents.
        self.cache = DocumentCache(
            CACHE_SIZE if cache_entries is None else cache_entries,
            CACHE_CHARACTERS if cache_characters is None else cache_characters,
        )

    def check(self, query: str) -> Checked:
        """The document parsed and validated, from the cache when it was seen before."""
        checked = self.cache.get(query)
        if checked is None:
            checked = self._check(query)
            self.cache.put(query, checked)
        return checked

    def validate(self, query: str) -> tuple[GraphQLError, ...]:
        """The document's request errors (syntax or validation); () when it may run."""
        return self.check(query).errors

    def _check(self, query: str) -> Checked:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return Checked(None, (error,))
        invalid = validate(self.schema, document, self.rules) or validate(
            self.schema, document, self.limits
        )
        return Checked(document, tuple(invalid))

    def prepare(
        self, operation: Operation, allowed: Collection[OperationType]
    ) -> tuple[DocumentNode, OperationDefinitionNode, VariableValues] | Outcome:
        """The parsed operation and its coerced variables, or the request errors."""
        checked = self.check(operation.query)
        if checked.errors or checked.document is None:
            return Outcome(errors=list(checked.errors))
        document = checked.document
        chosen = get_operation_ast(document, operation.operation_name)
        if chosen is None:
            return Outcome(errors=[GraphQLError(_no_operation(document, operation))])
        if chosen.operation not in allowed:
            raise NotAllowed(chosen.operation)
        variables = get_variable_values(
            self.schema, chosen.variable_definitions or (), dict(operation.variables or {}), 50
        )
        if isinstance(variables, list):
            return Outcome(errors=variables, operation_type=chosen.operation)
        return document, chosen, variables

    async def run(
        self,
        operation: Operation,
        new_context: ContextFactory,
        *,
        signed_in: bool,
        allowed: Collection[OperationType] = (OperationType.QUERY, OperationType.MUTATION),
        request_id: str = "-",
        limiter: Limiter | None = None,
        caller: str = "-",
    ) -> Outcome:
        """Runs the operation. With a `limiter`, what it consumes is limited (COST_MAX_READ_UNITS
        and the caller's budget): admitted with a first reservation, metered call by call."""
        prepared = self.prepare(operation, allowed)
        prediction: Prediction | None = None
        early: Outcome | None = None  # a request that does not run
        if isinstance(prepared, Outcome):
            prepared.errors = [errors.classify(e, request_id) for e in prepared.errors]
            early = prepared
        else:
            document, chosen, variables = prepared
            try:
                prediction = predict(self.schema, document, chosen, variables, signed_in)
            except InvalidInput as error:  # an argument no resolver would accept either
                wrapped = GraphQLError(str(error), original_error=error)
                early = Outcome(errors=[errors.classify(wrapped, request_id)],
                                operation_type=chosen.operation)  # fmt: skip
            else:
                refusal = self.budget.refusal(prediction)
                if refusal is not None:
                    early = Outcome(errors=[refusal], operation_type=chosen.operation,
                                    prediction=prediction)  # fmt: skip
        usage = Usage()
        allowance: Allowance | None = None
        if limiter is not None:
            # A request that does not run is charged the minimum all the same: its caller
            # made Lambda answer it.
            worst = 0.0
            if early is None and prediction is not None:
                worst = prediction.read_units + WRITE_UNIT_WEIGHT * prediction.write_units
            try:
                allowance = await limiter.admit(caller, signed_in, worst, usage)
            except RateLimited as limited:
                refused = GraphQLError(str(limited), original_error=limited)
                kind = early.operation_type if early is not None else chosen.operation
                return Outcome(errors=[errors.classify(refused, request_id)],
                               operation_type=kind, prediction=prediction,
                               throttle=limiter.status(caller, signed_in),
                               retry_after=limited.retry_after)  # fmt: skip
            usage.gate = allowance
        if early is not None:
            if limiter is not None and allowance is not None:
                limiter.settle(allowance)
                early.allowance = allowance
                early.throttle = limiter.status(caller, signed_in)
            return early
        assert prediction is not None
        with metering(usage):  # before the context: it may start loading the viewer's link
            context = new_context(prediction.needs_viewer)
        try:
            with metering(usage):
                result = execute(
                    self.schema,
                    document,
                    context_value=context,
                    variable_values=dict(operation.variables or {}),
                    operation_name=operation.operation_name,
                    executor_class=self.execution_context,
                    operation_extensions=None,
                )
                if not isinstance(result, ExecutionResult):
                    result = await result
        finally:
            await context.settle()
            if limiter is not None and allowance is not None:
                limiter.settle(allowance)
        assert isinstance(result, ExecutionResult)
        retry_after = [e.original_error.retry_after for e in result.errors or ()
                       if isinstance(e.original_error, RateLimited)]  # fmt: skip
        return Outcome(
            data=result.data,
            errors=[errors.classify(e, request_id) for e in result.errors or ()],
            executed=True,
            operation_type=chosen.operation,
            prediction=prediction,
            usage=usage,
            allowance=allowance,
            throttle=limiter.status(caller, signed_in) if limiter is not None else None,
            retry_after=max(retry_after, default=None),
        )


def _no_operation(document: DocumentNode, operation: Operation) -> str:
    if operation.operation_name is not None:
        return f"Unknown operation named '{operation.operation_name}'."
    if any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
        return "The document has several operations: give operationName to choose one."
    return "The document has no operation to run."
