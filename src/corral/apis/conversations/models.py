"""Wire types of ``/v1/conversations`` (OpenAI's shapes).

A conversation is an ordered list of items (the same items the Responses API
reads and writes) plus metadata. Items may be added by the client (at most 20
per call) or by responses created with ``conversation``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from corral.apis.responses.items import Item, with_message_type

MAX_ITEMS_PER_CALL = 20


def _metadata_limits(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return value
    if len(value) > 16:
        raise ValueError("at most 16 metadata keys")
    if any(len(k) > 64 or len(v) > 512 for k, v in value.items()):
        raise ValueError("metadata keys are at most 64 characters, values at most 512")
    return value


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("items", mode="before", check_fields=False)
    @classmethod
    def _easy_messages(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [with_message_type(v) for v in value]
        return value


class CreateConversationRequest(_Request):
    """``POST /v1/conversations``."""

    items: list[Item] | None = Field(None, max_length=MAX_ITEMS_PER_CALL)
    metadata: dict[str, str] | None = None

    _check_metadata = field_validator("metadata")(_metadata_limits)


class UpdateConversationRequest(_Request):
    """``POST /v1/conversations/{id}``: replace the metadata."""

    metadata: dict[str, str]

    _check_metadata = field_validator("metadata")(_metadata_limits)


class AddItemsRequest(_Request):
    """``POST /v1/conversations/{id}/items``."""

    items: list[Item] = Field(min_length=1, max_length=MAX_ITEMS_PER_CALL)


class ConversationObject(BaseModel):
    """A conversation."""

    id: str
    object: Literal["conversation"] = "conversation"
    created_at: int
    metadata: dict[str, str]


class ConversationDeleted(BaseModel):
    """``DELETE /v1/conversations/{id}``."""

    id: str
    object: Literal["conversation.deleted"] = "conversation.deleted"
    deleted: bool = True


class ConversationItemDeleted(BaseModel):
    """``DELETE /v1/conversations/{id}/items/{item_id}``."""

    id: str
    object: Literal["conversation.item.deleted"] = "conversation.item.deleted"
    deleted: bool = True
