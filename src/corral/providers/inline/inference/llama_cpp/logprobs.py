"""Log probabilities of the sampled tokens, without keeping every position's logits.

llama-cpp-python only reports logprobs for a model loaded with ``logits_all``
(a n_ctx × vocabulary buffer: hundreds of MB). Instead a logits processor,
the first step of the sampler chain, copies the raw logits of each step; the
token sampled at a step is the newest input of the next one (the last one is
re-read from the text). The values are the model's own distribution, before
temperature, penalties and grammar, which is what OpenAI reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token: its text, bytes, logprob and the most likely alternatives."""

    token: str
    raw: bytes
    logprob: float
    top: list[tuple[str, bytes, float]]


@dataclass
class LogprobRecorder:
    """Collects each step's logits; turns them into `TokenLogprob` once generation ended."""

    prompt_length: int
    top_n: int
    steps: list[Any] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        """The logits processor: record, change nothing."""
        seen = len(input_ids)
        if seen > self.prompt_length + len(self.tokens):  # the previous step's token
            self.tokens.append(int(input_ids[seen - 1]))
        self.steps.append(np.array(logits, dtype=np.float32, copy=True))
        return logits

    def entries(self, llm: Any, text: str) -> list[TokenLogprob]:
        """The tokens that make up `text` (the emitted completion), with their logprobs."""
        tokens = list(self.tokens)
        if len(tokens) < len(self.steps):  # the last sampled token was never evaluated
            rest = text.encode()[len(llm.detokenize(tokens)) :] if tokens else text.encode()
            tail = llm.tokenize(rest, add_bos=False, special=True) if rest else []
            tokens += tail[: len(self.steps) - len(tokens)]
        out: list[TokenLogprob] = []
        covered = 0
        for token, logits in zip(tokens, self.steps, strict=False):
            if covered >= len(text.encode()):
                break  # a stop string or the end token: not part of the answer
            scores = _log_softmax(logits)
            raw = llm.detokenize([token])
            covered += len(raw)
            out.append(TokenLogprob(_text(raw), raw, float(scores[token]), self._top(llm, scores)))
        return out

    def _top(self, llm: Any, scores: Any) -> list[tuple[str, bytes, float]]:
        if self.top_n <= 0:
            return []
        best = np.argpartition(scores, -self.top_n)[-self.top_n :]
        best = best[np.argsort(scores[best])[::-1]]
        out = []
        for token in best:
            raw = llm.detokenize([int(token)])
            out.append((_text(raw), raw, float(scores[token])))
        return out


def _log_softmax(logits: Any) -> Any:
    shifted = logits - np.max(logits)
    return shifted - np.log(np.sum(np.exp(shifted)))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def chat_logprobs(entries: list[TokenLogprob]) -> dict[str, Any]:
    """OpenAI's chat ``logprobs`` object."""
    return {
        "content": [
            {
                "token": e.token,
                "logprob": e.logprob,
                "bytes": list(e.raw),
                "top_logprobs": [
                    {"token": t, "logprob": lp, "bytes": list(raw)} for t, raw, lp in e.top
                ],
            }
            for e in entries
        ],
        "refusal": None,
    }


def text_logprobs(entries: list[TokenLogprob], offset: int = 0) -> dict[str, Any]:
    """OpenAI's legacy completions ``logprobs`` object."""
    offsets, position = [], offset
    for e in entries:
        offsets.append(position)
        position += len(e.token)
    return {
        "tokens": [e.token for e in entries],
        "token_logprobs": [e.logprob for e in entries],
        "top_logprobs": [{t: lp for t, _, lp in e.top} for e in entries],
        "text_offset": offsets,
    }
