# Shared by the Go build scripts. Before sourcing, define `log` (prints with the script's
# prefix) and set `step_log_prefix` (where each step's output is kept).

# The Go environment of every build: static, reproducible paths, and never the go.work or
# go.mod of the repository we are called from.
export PATH="$PATH:/usr/local/go/bin"
export GOFLAGS="-trimpath"
export CGO_ENABLED=0
export GOWORK=off
export GOTOOLCHAIN=local

fail() { log "FAILED at step '$1': $2"; exit 1; }

# Runs "$@" with its output captured to a log; on failure prints the log tail and names
# the step.
run_step() {
  local step="$1"; shift
  local step_log="${step_log_prefix}${step// /_}.log"
  if ! "$@" >"$step_log" 2>&1; then
    tail -n 40 "$step_log" >&2 || true
    fail "$step" "command '$*' exited non-zero (full log: $step_log)"
  fi
}

timed() {
  local start end; start=$(date +%s)
  "$@"
  end=$(date +%s)
  log "  took $((end - start))s"
}
