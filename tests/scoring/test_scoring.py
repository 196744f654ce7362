"""Scoring functions and scoring over HTTP, each built-in with known answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from llama_stack_client import LlamaStackClient

from tests.fixtures.server import RunningServer

pytestmark = pytest.mark.slow

ROWS: list[dict[str, Any]] = [
    {"input_query": "2+2?", "expected_answer": "4", "generated_answer": "4"},
    {"input_query": "Capital?", "expected_answer": "Paris", "generated_answer": "It is Paris."},
    {"input_query": "Pick", "expected_answer": "B", "generated_answer": "Thinking... Answer: B"},
    {"input_query": "Pick", "expected_answer": "C", "generated_answer": "answer:  d"},
]


def score(server: RunningServer, functions: dict[str, Any], rows: list[Any] = ROWS) -> Any:
    r = httpx.post(
        f"{server.base_url}/v1/scoring/score",
        json={"input_rows": rows, "scoring_functions": functions},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["results"]


def scores(result: dict[str, Any]) -> list[Any]:
    return [row["score"] for row in result["score_rows"]]


def test_built_in_functions_are_listed(server: RunningServer) -> None:
    found = httpx.get(f"{server.base_url}/v1/scoring-functions", timeout=10).json()["data"]
    ids = {f["identifier"]: f for f in found}
    assert {"basic::equality", "basic::subset_of", "basic::regex_parser_multiple_choice_answer",
            "llm-as-judge::base", "config::contains"} <= set(ids)  # fmt: skip
    assert ids["basic::equality"]["provider_id"] == "basic"
    assert ids["basic::equality"]["type"] == "scoring_function"
    assert ids["llm-as-judge::base"]["params"]["judge_model"] == "fake/fake-chat"


def test_equality_subset_and_multiple_choice_with_known_answers(server: RunningServer) -> None:
    results = score(
        server,
        {
            "basic::equality": None,
            "basic::subset_of": None,
            "basic::regex_parser_multiple_choice_answer": None,
            "config::contains": None,
        },
    )
    assert scores(results["basic::equality"]) == [1.0, 0.0, 0.0, 0.0]
    assert results["basic::equality"]["aggregated_results"] == {
        "accuracy": 0.25, "num_correct": 1.0, "num_total": 4,
    }  # fmt: skip
    assert scores(results["basic::subset_of"]) == [1.0, 1.0, 1.0, 0.0]
    assert scores(results["config::contains"]) == [1.0, 1.0, 1.0, 0.0]
    choice = results["basic::regex_parser_multiple_choice_answer"]
    assert scores(choice) == [0.0, 0.0, 1.0, 0.0]
    assert [r["parsed_answer"] for r in choice["score_rows"]] == [None, None, "B", "d"]
    assert choice["aggregated_results"]["accuracy"] == 0.25


def test_a_registered_regex_parser_with_other_aggregates(server: RunningServer) -> None:
    base = f"{server.base_url}/v1/scoring-functions"
    body = {
        "scoring_fn_id": "my::final-number",
        "description": "the number after 'Final:'",
        "params": {
            "type": "regex_parser",
            "parsing_regexes": [r"Final:\s*(\d+)"],
            "aggregation_functions": ["average", "median", "categorical_count"],
        },
    }
    r = httpx.post(base, json=body, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["provider_id"] == "basic"
    rows = [
        {"expected_answer": "42", "generated_answer": "so... Final: 42"},
        {"expected_answer": "7", "generated_answer": "Final: 8"},
        {"expected_answer": "1", "generated_answer": "Final: 1"},
    ]
    result = score(server, {"my::final-number": None}, rows)["my::final-number"]
    assert scores(result) == [1.0, 0.0, 1.0]
    assert result["aggregated_results"] == {
        "average": pytest.approx(2 / 3), "median": 1.0,
        "categorical_count": {"1.0": 2, "0.0": 1},
    }  # fmt: skip
    bad = {**body, "scoring_fn_id": "my::bad", "params": {"type": "regex_parser",
           "parsing_regexes": ["(unclosed"]}}  # fmt: skip
    refused = httpx.post(base, json=bad, timeout=10)
    assert (
        refused.status_code == 400 and refused.json()["error"]["param"] == "params.parsing_regexes"
    )
    assert httpx.delete(f"{base}/my::final-number", timeout=10).status_code == 204
    assert httpx.get(f"{base}/my::final-number", timeout=10).status_code == 404
    assert httpx.delete(f"{base}/basic::equality", timeout=10).status_code == 400
    missing = httpx.post(
        f"{server.base_url}/v1/scoring/score",
        json={"input_rows": [{"generated_answer": "x"}],
              "scoring_functions": {"basic::equality": None}},
        timeout=10,
    )  # fmt: skip
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "input_rows[0].expected_answer"


def test_llm_as_judge_parses_the_judges_score(server: RunningServer) -> None:
    rows = [
        {"input_query": "q", "expected_answer": "a", "generated_answer": "5"},
        {"input_query": "q", "expected_answer": "a", "generated_answer": "2"},
        {"input_query": "q", "expected_answer": "a", "generated_answer": "none"},
    ]
    # The fake upstream answers "echo: <prompt>", so the prompt decides what the judge says.
    params = {
        "type": "llm_as_judge",
        "judge_model": "fake/fake-chat",
        "prompt_template": "Score: {generated_answer}",
        "aggregation_functions": ["average"],
    }
    result = score(server, {"llm-as-judge::base": params}, rows)["llm-as-judge::base"]
    assert scores(result) == [5.0, 2.0, None]
    assert result["score_rows"][0]["judge_feedback"] == "echo: Score: 5"
    assert result["aggregated_results"] == {"average": 3.5, "num_unscored": 1}
    default = score(server, {"llm-as-judge::base": None}, rows[:1])["llm-as-judge::base"]
    assert "Expected answer: a" in default["score_rows"][0]["judge_feedback"]
    unknown = httpx.post(
        f"{server.base_url}/v1/scoring/score",
        json={"input_rows": rows, "scoring_functions": {
            "llm-as-judge::base": {**params, "judge_model": "nope"}}},
        timeout=10,
    )  # fmt: skip
    assert unknown.status_code == 404


def test_score_batch_reads_a_dataset_and_the_llama_stack_client(server: RunningServer) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    client.datasets.register(
        purpose="eval/question-answer", source={"type": "rows", "rows": ROWS}, dataset_id="answers"
    )
    batch = client.scoring.score_batch(
        dataset_id="answers",
        scoring_functions={"basic::subset_of": None},
        save_results_dataset=False,
    )
    assert batch.dataset_id == "answers"
    assert [r["score"] for r in batch.results["basic::subset_of"].score_rows] == [
        1.0,
        1.0,
        1.0,
        0.0,
    ]
    direct = client.scoring.score(input_rows=ROWS[:1], scoring_functions={"basic::equality": None})
    assert direct.results["basic::equality"].aggregated_results["accuracy"] == 1.0
    assert "basic::equality" in {f.identifier for f in client.scoring_functions.list()}
