"""How well the bundled SmolLM2-135M calls tools: a fixed set of 10 tasks, two modes.

Starts ``corral run`` with the embedded model only, then asks each task once with
five tools offered, at temperature 0:

- ``auto``: the model decides (does it call the right tool, with the right values?);
- ``required``: a call is forced by a grammar (is it the right tool and are the values right?).

A call counts as *right* when the tool matches and every expected argument matches
(strings compared case-insensitively as a substring). Writes
``benchmarks/results/llama_cpp_tools.json`` and ``.md``.

    python benchmarks/llama_cpp_tools.py     # about 1-2 min on 2 cores
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import procs

HERE = Path(__file__).resolve().parent
MODEL = "llama-cpp/SmolLM2-135M-Instruct"


def _tool(name: str, description: str, **props: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": v} for k, v in props.items()},
                "required": list(props),
            },
        },
    }


TOOLS = [
    _tool("get_weather", "Current weather in a city.", city="string"),
    _tool("add", "Add two integers.", a="integer", b="integer"),
    _tool("search_web", "Search the web.", query="string"),
    _tool("send_email", "Send an email.", to="string", subject="string"),
    _tool("convert_currency", "Convert money.", amount="number", source="string", target="string"),
]

#: (prompt, expected tool, expected argument values)
TASKS: list[tuple[str, str, dict[str, Any]]] = [
    ("What is the weather in Paris?", "get_weather", {"city": "paris"}),
    ("Is it raining in Tokyo right now?", "get_weather", {"city": "tokyo"}),
    ("Add 12 and 30.", "add", {"a": 12, "b": 30}),
    ("What is 7 plus 5?", "add", {"a": 7, "b": 5}),
    ("Search the web for the height of the Eiffel Tower.", "search_web", {"query": "eiffel"}),
    ("Look up the latest news about Mars rovers.", "search_web", {"query": "mars"}),
    ("Send an email to bob@example.com with the subject Lunch.", "send_email",
     {"to": "bob@example.com", "subject": "lunch"}),
    ("Email alice@example.com about the meeting.", "send_email", {"to": "alice@example.com"}),
    ("Convert 100 dollars to euros.", "convert_currency", {"amount": 100}),
    ("How much is 50 pounds in yen?", "convert_currency", {"amount": 50}),
]  # fmt: skip

CONFIG = """
version: 2
providers:
  inference:
  - {provider_id: llama-cpp, provider_type: inline::llama-cpp, config: {n_threads: 2}}
"""


def ask(base: str, prompt: str, choice: str) -> tuple[dict[str, Any], float]:
    """One chat completion; the message and the seconds it took."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "tools": TOOLS,
        "tool_choice": choice,
        "temperature": 0,
        "max_tokens": 80,
    }
    request = urllib.request.Request(
        f"{base}/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    start = time.monotonic()
    with urllib.request.urlopen(request, timeout=120) as r:
        answer = json.loads(r.read())
    return answer["choices"][0]["message"], time.monotonic() - start


def matches(value: Any, expected: Any) -> bool:
    """Strings: case-insensitive substring; numbers: equal."""
    if isinstance(expected, str):
        return isinstance(value, str) and expected in value.lower()
    return isinstance(value, int | float) and float(value) == float(expected)


def score(message: dict[str, Any], tool: str, expected: dict[str, Any]) -> dict[str, bool]:
    """Whether the answer called a tool, the right one, and with the right values."""
    calls = message.get("tool_calls") or []
    if not calls:
        return {"called": False, "right_tool": False, "right_args": False}
    function = calls[0]["function"]
    try:
        arguments = json.loads(function["arguments"])
    except ValueError:
        arguments = {}
    right_tool = function["name"] == tool
    right_args = right_tool and all(matches(arguments.get(k), v) for k, v in expected.items())
    return {"called": True, "right_tool": right_tool, "right_args": right_args}


def run(base: str) -> dict[str, Any]:
    """Every task in both modes."""
    out: dict[str, Any] = {"model": MODEL, "tasks": len(TASKS), "modes": {}}
    for choice in ("auto", "required"):
        rows, seconds = [], []
        for prompt, tool, expected in TASKS:
            message, took = ask(base, prompt, choice)
            seconds.append(took)
            result = score(message, tool, expected)
            call = (message.get("tool_calls") or [{}])[0].get("function")
            rows.append({"prompt": prompt, **result, "call": call, "text": message.get("content")})
            print(choice, json.dumps(rows[-1]), flush=True)
        out["modes"][choice] = {
            key: sum(r[key] for r in rows) for key in ("called", "right_tool", "right_args")
        } | {"p50_s": round(statistics.median(seconds), 2), "rows": rows}
    return out


def markdown(results: dict[str, Any]) -> str:
    """The results as a table."""
    n = results["tasks"]
    lines = [
        "| tool_choice | made a call | right tool | right tool and values | p50 s |",
        "|---|---|---|---|---|",
    ]
    for mode, m in results["modes"].items():
        lines.append(
            f"| {mode} | {m['called']}/{n} | {m['right_tool']}/{n} | {m['right_args']}/{n} | "
            f"{m['p50_s']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Start corral with the embedded model, measure, write the results."""
    with tempfile.TemporaryDirectory(prefix="corral-tools-bench-") as tmp:
        work = Path(tmp)
        (work / "run.yaml").write_text(CONFIG)
        port = procs.free_port()
        cmd = [sys.executable, "-m", "corral", "run", str(work / "run.yaml"), "--port", str(port)]
        with procs.process([*cmd, "--log-level", "warning"], {}, work / "log") as proc:
            base = f"http://127.0.0.1:{port}"
            procs.wait_http(f"{base}/v1/health", 120, proc)
            ask(base, "Hello", "auto")  # waits for the model to load
            results = run(base)
    table = markdown(results)
    (HERE / "results" / "llama_cpp_tools.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / "results" / "llama_cpp_tools.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
