"""inline::sentence-transformers: offline MiniLM embeddings through HTTP."""

from __future__ import annotations

import asyncio
import base64
import struct

import httpx
import numpy as np
import openai
import pytest

from tests.fixtures.server import RunningServer
from tests.providers.conftest import CHAT, EMBED

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def vectors(client: openai.OpenAI, texts: list[str]) -> np.ndarray:
    reply = client.embeddings.create(model=EMBED, input=texts)
    return np.array([d.embedding for d in reply.data])


def test_vectors_have_384_dimensions_and_unit_length(client: openai.OpenAI) -> None:
    reply = client.embeddings.create(model=EMBED, input="hello world")
    assert reply.model == EMBED
    assert len(reply.data) == 1 and len(reply.data[0].embedding) == 384
    assert np.linalg.norm(reply.data[0].embedding) == pytest.approx(1.0, abs=1e-3)
    assert reply.usage.prompt_tokens == reply.usage.total_tokens > 0


def test_the_torch_route_gives_the_same_vectors(client: openai.OpenAI) -> None:
    texts = ["a cat sits on the mat", "stock prices fell"]
    onnx = vectors(client, texts)
    reply = client.embeddings.create(model="st-torch/all-MiniLM-L6-v2", input=texts)
    torch = np.array([d.embedding for d in reply.data])
    assert torch.shape == (2, 384)
    assert (onnx * torch).sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-3)


def test_meaning_not_wording_decides_similarity(client: openai.OpenAI) -> None:
    cat, kitten, stocks = vectors(
        client, ["a cat sits on the mat", "a kitten is on the rug", "stock prices fell"]
    )
    assert cat @ kitten > cat @ stocks + 0.3


def test_float_and_base64_encodings_agree(embedded_server: RunningServer) -> None:
    url = f"{embedded_server.base_url}/v1/embeddings"
    as_float = httpx.post(url, json={"model": EMBED, "input": "tea", "encoding_format": "float"})
    as_b64 = httpx.post(url, json={"model": EMBED, "input": "tea", "encoding_format": "base64"})
    floats = as_float.json()["data"][0]["embedding"]
    packed = base64.b64decode(as_b64.json()["data"][0]["embedding"])
    assert list(struct.unpack(f"<{len(packed) // 4}f", packed)) == pytest.approx(floats)


def test_concurrent_requests_are_batched_without_mixing_answers(
    embedded_server: RunningServer, client: openai.OpenAI
) -> None:
    texts = [f"sentence {i} about {topic}" for i, topic in enumerate(["cats", "rain", "jazz"] * 8)]
    alone = {t: vectors(client, [t])[0] for t in texts[:3]}

    async def one(text: str) -> np.ndarray:
        async with openai.AsyncOpenAI(
            base_url=f"{embedded_server.base_url}/v1", api_key="none", max_retries=0
        ) as aclient:
            reply = await aclient.embeddings.create(model=EMBED, input=text)
            return np.array(reply.data[0].embedding)

    async def all_at_once() -> list[np.ndarray]:
        return await asyncio.gather(*(one(t) for t in texts))

    together = dict(zip(texts, asyncio.run(all_at_once()), strict=True))
    for text, vector in alone.items():
        assert together[text] @ vector == pytest.approx(1.0, abs=1e-4)


def test_a_long_list_is_embedded_in_order(client: openai.OpenAI) -> None:
    texts = [f"item number {i}" for i in range(150)]  # more than one batch of 64
    reply = client.embeddings.create(model=EMBED, input=texts)
    assert [d.index for d in reply.data] == list(range(150))
    again = vectors(client, [texts[120]])[0]
    assert np.array(reply.data[120].embedding) @ again == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": [[1, 2, 3]]}, "input"),
        ({"input": ["ok", ""]}, "input"),
        ({"input": "x", "dimensions": 128}, "dimensions"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_bad_inputs_are_400s(
    embedded_server: RunningServer, body: dict[str, object], param: str
) -> None:
    r = httpx.post(f"{embedded_server.base_url}/v1/embeddings", json={"model": EMBED, **body})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_models_cross_their_types_with_clear_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=EMBED, messages=[{"role": "user", "content": "hi"}])
    assert err.value.code == "wrong_model_type"
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model=CHAT, input="hi")
    assert err.value.code == "wrong_model_type"


def test_the_model_is_listed_with_its_dimension(client: openai.OpenAI) -> None:
    model = {m.id: m for m in client.models.list()}[EMBED].model_extra or {}
    assert model["custom_metadata"]["model_type"] == "embedding"
    assert model["custom_metadata"]["metadata"]["embedding_dimension"] == 384
