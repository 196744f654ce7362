"""Cross-user isolation of files and vector stores under the documented access policy.

Identities come from the custom-auth loopback stub; the policy is the
reference document's multi-tenant example (files as
``sql_record::openai_files::*``) plus the same rules for vector stores.
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from tests.fixtures.fake_embeddings import RunningEmbedder
from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.server import RunningServer, run_server
from tests.vector_io.conftest import attach, sdk, stack_config, top_files, upload

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

POLICY = """server:
  auth:
    provider_config: {{type: custom, endpoint: "{url}/validate"}}
    access_policy:
    - permit: {{actions: [read], resource: "model::*"}}
      description: Any authenticated user can use configured models
    - permit: {{actions: [create], resource: "sql_record::openai_files::*"}}
      description: Any authenticated user can upload files
    - permit: {{actions: [read, delete], resource: "sql_record::openai_files::*"}}
      when: user is owner
      description: Users can only read and delete their own files
    - permit: {{actions: [create], resource: "vector_store::*"}}
    - permit: {{actions: [read, update, delete], resource: "vector_db::*"}}
      when: user is owner
      description: Users can only use their own vector stores
"""


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        running.custom_users["alice-token"] = {"principal": "alice", "access_attributes": {}}
        running.custom_users["bob-token"] = {"principal": "bob", "access_attributes": {}}
        yield running


@pytest.fixture(scope="module")
def server(
    embedder: RunningEmbedder, stubs: IdentityStubs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    config = stack_config(embedder.url, "sqlite-vec", server=POLICY.format(url=stubs.url))
    with run_server(config, tmp_path_factory.mktemp("access")) as running:
        yield running


def test_users_see_only_their_own_files_and_stores(server: RunningServer) -> None:
    alice, bob = sdk(server, "alice-token"), sdk(server, "bob-token")
    secret = upload(alice, "secret.txt", "The launch code is hidden under the blue carpet.")
    store = alice.vector_stores.create(name="alice-kb")
    assert attach(alice, store.id, secret).status == "completed"

    assert top_files(alice.vector_stores.search(vector_store_id=store.id, query="launch code")) == [
        "secret.txt"
    ]
    assert secret in [f.id for f in alice.files.list()]
    assert store.id in [s.id for s in alice.vector_stores.list()]

    assert secret not in [f.id for f in bob.files.list()]
    assert store.id not in [s.id for s in bob.vector_stores.list()]
    for call in (
        lambda: bob.files.retrieve(secret),
        lambda: bob.files.content(secret),
        lambda: bob.files.delete(secret),
        lambda: bob.vector_stores.retrieve(store.id),
        lambda: bob.vector_stores.search(vector_store_id=store.id, query="launch code"),
        lambda: bob.vector_stores.files.list(vector_store_id=store.id),
        lambda: bob.vector_stores.files.content(file_id=secret, vector_store_id=store.id),
        lambda: bob.vector_stores.delete(store.id),
    ):
        with pytest.raises(openai.NotFoundError):
            call()

    # Bob cannot pull Alice's file into a store of his own either.
    own = bob.vector_stores.create(name="bob-kb")
    with pytest.raises(openai.NotFoundError):
        bob.vector_stores.files.create(vector_store_id=own.id, file_id=secret)
    # Among a new store's file_ids a file Bob cannot see is a failed file (as Llama Stack
    # answers), never indexed: its last_error says only that it was not found.
    sneaky = bob.vector_stores.create(name="sneaky", file_ids=[secret])
    assert sneaky.file_counts.failed == 1 and sneaky.file_counts.completed == 0
    [failed] = bob.vector_stores.files.list(vector_store_id=sneaky.id).data
    assert failed.status == "failed" and failed.last_error is not None
    assert "not found" in failed.last_error.message
    assert bob.vector_stores.search(vector_store_id=sneaky.id, query="launch code").data == []

    # Alice's things are intact.
    assert alice.files.content(secret).read().startswith(b"The launch code")
    assert alice.vector_stores.retrieve(store.id).file_counts.completed == 1


def test_anonymous_callers_are_refused(server: RunningServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        sdk(server).files.list()
