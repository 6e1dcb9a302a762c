"""Shapes of the LRS clients' credentials as the administration API shows them (never a stored hash)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from platform_api.core.timestamps import Timestamp

LRSScope = Literal["all", "statements/write", "statements/read", "state", "profile"]


class LRSCredentialCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="who the client is; its statements' authority")
    scopes: list[LRSScope] = Field(default=["all"], min_length=1, max_length=5)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "District LMS", "scopes": ["statements/write"]}]}
    )


class LRSCredentialPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    scopes: list[str]
    created_at: Timestamp
    revoked_at: Timestamp | None


class LRSCredentialIssued(LRSCredentialPublic):
    secret: str = Field(description="shown in this answer only; the server keeps just its hash")
    endpoint: str = Field(description="the LRS's base URL for the client's configuration")
