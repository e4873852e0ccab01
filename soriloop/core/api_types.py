"""Types for API parameters and fields whose JSON Schema says exactly what they accept.

Each one validates the rule its schema states, so a request the description calls valid is
accepted and one it calls invalid is refused with a 422 (the schemathesis test checks both,
over the whole API). Patterns use only what ECMA 262, Rust's regex and Python's ``re`` read
alike: explicit classes such as ``[0-9]``, never ``\\d``, ``\\w`` or ``\\s``, whose meaning
differs between them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from typing_extensions import TypeAliasType

from soriloop.core.fields import DAY_PROBLEM, MAX_ID, parse_day, unicode_problem

# Text without a NUL character: PostgreSQL can store or compare none (a query parameter with
# one is refused before it reaches an endpoint, a JSON value with one here).
NO_NUL = r"^[^\x00]*$"


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(values)]``: exactly one of ``values``, an enum in the
    description, from the tuple the server checks against, so the two cannot drift apart."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))


@dataclass(frozen=True)
class Matching:
    r"""``Annotated[str, Matching(pattern, problem)]``: a whole match of ``pattern`` (also the
    description's ``pattern``), else the error ``problem``. ``python``: the same rule for
    Python's ``re``, when the pattern needs what it lacks (``\p{L}``)."""

    pattern: str
    problem: str
    python: re.Pattern[str] | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> CoreSchema:
        regex = self.python or re.compile(self.pattern)

        def check(value: str) -> str:
            if not regex.fullmatch(value):
                raise PydanticCustomError("pattern", self.problem)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        described: dict[str, Any] = handler(schema)
        return {**described, "pattern": self.pattern}


QueryText = Annotated[str, Matching(NO_NUL, "must not contain a NUL character")]


def _not_null(schema: dict[str, Any]) -> None:
    options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options


def omitted(**kwargs: Any) -> Any:
    """An optional query parameter: left out rather than sent empty or as "null", so its
    schema admits no null, and an empty value is refused like any bad one."""
    return Field(default=None, json_schema_extra=_not_null, **kwargs)


# A positive 64-bit id: the largest integer SQLite and PostgreSQL compare.
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]

# 2026-01-31 with a year from 1900 to 2999; ``format: date`` holds the calendar.
DAY_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-[0-9]{2}-[0-9]{2}$"
_DAY = re.compile(DAY_PATTERN)


def _day(value: object) -> dt.date:
    day = parse_day(value) if isinstance(value, str) and _DAY.fullmatch(value) else None
    if day is None:
        raise PydanticCustomError("day", DAY_PROBLEM)
    return day


Day = Annotated[
    dt.date,
    PlainValidator(_day, json_schema_input_type=str),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]


JsonText = Annotated[str, Field(pattern=NO_NUL)]
FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]
# Keys that miss the pattern are refused, not merely left unconstrained.
_KEYS_ONLY = Field(json_schema_extra={"additionalProperties": False})
JsonValue = TypeAliasType(
    "JsonValue",
    "JsonText | bool | int | FiniteNumber | list[JsonValue]"
    " | Annotated[dict[JsonText, JsonValue], _KEYS_ONLY] | None",
)

JSON_PROBLEM = (
    "must be a JSON object whose texts hold no NUL character and whose numbers are finite"
)


def _one_problem(value: Any, handler: Any) -> Any:
    """Validate ``value``; report a failure deep inside as one reason for the whole field."""
    try:
        return handler(value)
    except ValidationError:
        problem = unicode_problem(value, nul_ok=False) if isinstance(value, dict) else ""
        raise PydanticCustomError("json_object", problem or JSON_PROBLEM) from None


JsonObject = Annotated[dict[JsonText, JsonValue], _KEYS_ONLY, WrapValidator(_one_problem)]


def _not_a_boolean(value: Any) -> Any:
    """JSON's true and false are not numbers (Python's bool is an int, pydantic's lax mode
    would take them as 1 and 0)."""
    if isinstance(value, bool):
        raise PydanticCustomError("not_a_number", "must be a number, not true or false")
    return value


def not_a_boolean(value: Any) -> Any:
    """For a ``field_validator(..., mode="before")`` of a number field."""
    return _not_a_boolean(value)


def a_string(value: Any) -> Any:
    """For a ``field_validator(..., mode="before")`` of a date-time field: JSON Schema's
    date-time is a string, where pydantic would also take a number of seconds."""
    if value is not None and not isinstance(value, str):
        raise PydanticCustomError("not_a_string", "must be a date-time string")
    return value
