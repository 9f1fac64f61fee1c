"""Python types the reader-view tests derive schemas for."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Literal, NamedTuple, TypedDict

import attrs
import msgspec


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Point(NamedTuple):
    x: int
    y: float = 0.0


class Extra(TypedDict, total=False):
    note: str


class Shape(TypedDict):
    name: str
    tags: list[str]


@dataclasses.dataclass
class Item:
    sku: str
    qty: Annotated[int, msgspec.Meta(ge=1, le=100)]
    price: float = 0.0


@attrs.define
class Owner:
    name: str
    since: datetime.date | None = None


class Reading(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename="camel"):
    sensor_id: uuid.UUID
    taken_at: datetime.datetime
    local_time: datetime.time
    window: datetime.timedelta
    raw: bytes
    color: Color
    level: Level
    kind: Literal["a", "b", 7]
    point: Point
    shape: Shape
    items: list[Item]
    owner: Owner | None
    counts: dict[int, int]
    by_color: dict[Color, float]
    pair: tuple[str, int]
    aware: Annotated[datetime.datetime, msgspec.Meta(tz=True)]
    naive: Annotated[datetime.datetime, msgspec.Meta(tz=False)]
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=8, pattern="^[a-z]+$")] = "x"
    parent: Reading | None = None
    extra: Extra | None = None


class Cat(msgspec.Struct, tag=True):
    name: str


class Dog(msgspec.Struct, tag=True):
    barks: bool = True


class Zoo(msgspec.Struct):
    animals: list[Cat | Dog]
    lead: Cat | Dog | None = None
    price: decimal.Decimal | None = None


class Row(msgspec.Struct, array_like=True):
    a: int
    b: str = ""


@dataclasses.dataclass
class Legacy:
    """Built with Legacy(**payload) by its consumer: unknown keys are a TypeError."""

    id: str
    score: int
    when: datetime.datetime | None = None


def read_strict(payload: bytes) -> None:
    """A real reader: the consumer's own decode step."""
    value = msgspec.json.decode(payload)
    Legacy(**value)
    datetime.datetime.fromisoformat(value["when"])
