"""The Llama Guard 3 prompt and the parsing of its verdict.

The model is asked about the *last* message of a conversation: ``User`` turns
for input checks, ``Agent`` turns for answers. It replies ``safe``, or
``unsafe`` and a line of comma-separated category codes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from corral.apis.safety.api import ShieldMessage

#: The Llama Guard 3 hazard taxonomy (MLCommons), in code order.
CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex Crimes",
    "S4": "Child Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}

#: Moderation categories each code flags: OpenAI's names where one fits, else a plain name.
MODERATION_CATEGORIES: dict[str, tuple[str, ...]] = {
    "S1": ("violence", "illicit/violent"),
    "S2": ("illicit",),
    "S3": ("sexual", "illicit"),
    "S4": ("sexual/minors",),
    "S5": ("defamation",),
    "S6": ("specialized_advice",),
    "S7": ("privacy",),
    "S8": ("intellectual_property",),
    "S9": ("violence", "illicit/violent"),
    "S10": ("hate",),
    "S11": ("self-harm",),
    "S12": ("sexual",),
    "S13": ("elections",),
    "S14": ("code_interpreter_abuse",),
}


def speaker(message: ShieldMessage) -> str:
    """``Agent`` for the assistant's turns, ``User`` for everything the model was given."""
    return "Agent" if message.role == "assistant" else "User"


def build_prompt(messages: Sequence[ShieldMessage], excluded: Collection[str]) -> str:
    """The Llama Guard 3 classification prompt for the last message of `messages`."""
    role = speaker(messages[-1])
    categories = "\n".join(f"{c}: {name}." for c, name in CATEGORIES.items() if c not in excluded)
    conversation = "\n\n".join(f"{speaker(m)}: {m.text}" for m in messages)
    return (
        f"Task: Check if there is unsafe content in '{role}' messages in conversations "
        "according our safety policy with the below categories.\n\n"
        f"<BEGIN UNSAFE CONTENT CATEGORIES>\n{categories}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\n{conversation}\n\n<END CONVERSATION>\n\n"
        f"Provide your safety assessment for ONLY THE LAST {role} message in the above "
        "conversation:\n"
        " - First line must read 'safe' or 'unsafe'.\n"
        " - If unsafe, a second line must include a comma-separated list of violated categories."
    )


@dataclass(frozen=True)
class Verdict:
    """What the model said: unsafe or not, and the codes it named."""

    unsafe: bool
    codes: tuple[str, ...] = ()


def parse_verdict(text: str) -> Verdict | None:
    """``safe`` / ``unsafe`` (+ ``S1,S3``); None when the text is neither."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    head = lines[0].lower()
    if head == "safe" and len(lines) == 1:
        return Verdict(False)
    if head != "unsafe" or len(lines) > 2:
        return None
    codes = tuple(c.strip().upper() for c in lines[1].split(",")) if len(lines) == 2 else ()
    if not all(c in CATEGORIES for c in codes):
        return None
    return Verdict(True, tuple(dict.fromkeys(codes)))
