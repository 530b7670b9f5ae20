"""API schemas of ``POST /v1/queries/validate``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_VALIDATE_LIMIT = 50
"""Most matching documents one validation shows: a page to eyeball, not an export."""


class QueryValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: Annotated[
        str, Field(min_length=1, max_length=10_000, examples=['Apple NOT "apple pie"'])
    ]
    limit: int = Field(default=10, ge=0, le=MAX_VALIDATE_LIMIT)


class QueryExplanation(BaseModel):
    query: str = Field(description="the query as Clarion normalizes and formats it")
    outline: list[str] = Field(description="the parsed query, one node per line, indented")
    tree: dict[str, Any] = Field(
        description="the parsed query as nested nodes: type, query, description, and "
        "children / child / left, right / words, field, case_sensitive, prefix / value"
    )


class SpanPublic(BaseModel):
    field: Literal["title", "text"]
    start: int = Field(description="character offset in the field")
    end: int
    text: str


class QueryMatch(BaseModel):
    document_id: str
    url: str
    title: str
    outlet: str
    domain: str
    language: str | None
    published_at: datetime = Field(description="when it counts (publication, else fetch time)")
    snippets: list[str]
    spans: list[SpanPublic]


class QueryMatches(BaseModel):
    total: int = Field(description="matching documents found among those scanned")
    complete: bool = Field(description="false when the scan stopped early: total is a floor")
    items: list[QueryMatch]


class QueryValidation(BaseModel):
    valid: Literal[True] = True
    explanation: QueryExplanation
    matches: QueryMatches
