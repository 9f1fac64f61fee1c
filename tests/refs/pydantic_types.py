"""pydantic models for the reader-view tests (pydantic is an optional extra)."""

from __future__ import annotations

import datetime
import uuid

from pydantic import BaseModel, ConfigDict, field_validator


class Line(BaseModel):
    n: int
    label: str = "x"


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    at: datetime.datetime
    lines: list[Line]
    total: float | None = None

    @field_validator("lines")
    @classmethod
    def not_too_many(cls, lines: list[Line]) -> list[Line]:
        if len(lines) > 3:
            raise ValueError("at most 3 lines")
        return lines


class StrictCount(BaseModel):
    model_config = ConfigDict(strict=True)

    n: int
    flag: bool = False
