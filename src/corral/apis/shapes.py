"""Building blocks of request *shapes*: wire types that check a body without replacing it.

A shape is a ``TypedDict`` of an OpenAI-style request body (pydantic validates
TypedDicts about three times faster than models, which matters on the hot
path) with three properties the edge validation relies on
(`corral.server.validation`):

* keys it does not name are not checked and stay in the body: a field OpenAI
  or a backend adds later passes through untouched;
* validation is strict (`BodyShape` asks for it): ``"temperature": "hot"`` or
  ``"0.5"`` is an error, not a coercion (the body is forwarded as the client
  sent it, so a coerced value would not be what the upstream receives);
* a union keyed on ``type`` or ``role`` is *tagged*, so an error names the
  branch's own field (``messages[0].content``) rather than listing every branch.
  A closed set (roles) uses pydantic's own discriminator; an open one (content
  part, tool and response-format kinds, where backends add their own) uses
  `tag_on`, which sends unknown kinds to an unchecked `OpenShape` branch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag
from typing_extensions import TypedDict

#: Marks a tagged-union branch in an error location (dropped when the field is named).
TAG_PREFIX = "#"
#: Prefix of the error type of a bad tag value; the rest is the field holding it.
TAG_ERROR = "tag:"


class OpenShape(TypedDict):
    """A ``{"type": ...}`` object of a kind corral does not know: passed through unchecked."""

    type: str


#: The branch of an open union that takes kinds it does not know.
OTHER = "other"


def branch(name: str) -> Tag:
    """The tag of one branch of a union keyed by `tag_on` (use the key's value)."""
    return Tag(TAG_PREFIX + name)


def tag_on(key: str, known: Iterable[str] | Mapping[str, str], *, open: bool) -> Discriminator:
    """Choose a union's branch by the object's `key` field.

    `known` lists the values with a branch of their own (a mapping sends
    several values to one branch). With `open`, any other string value goes to
    the `OTHER` branch (new part or tool kinds pass); without it, it is an error
    naming `key` (a ``role`` must be one of the known roles).
    """
    branches = dict(known) if isinstance(known, Mapping) else {k: k for k in known}
    listed = ", ".join(repr(k) for k in branches)

    def pick(value: Any) -> str | None:
        tag = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        if isinstance(tag, str) and tag in branches:
            return TAG_PREFIX + branches[tag]
        if open and isinstance(tag, str):
            return TAG_PREFIX + OTHER
        return None

    # The error type carries the key: the formatter appends it to the location
    # (`messages[0].role`); a context dict would make the union unhashable.
    return Discriminator(
        pick, custom_error_type=TAG_ERROR + key, custom_error_message=f"must be one of {listed}"
    )


Probability = Annotated[float, Field(ge=0, le=1)]
Temperature = Annotated[float, Field(ge=0, le=2)]
Penalty = Annotated[float, Field(ge=-2, le=2)]
Count = Annotated[int, Field(ge=1, le=128)]
PositiveInt = Annotated[int, Field(ge=1)]
Stop = str | list[str]
