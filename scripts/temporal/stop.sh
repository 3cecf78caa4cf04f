#!/usr/bin/env bash
# Stop the dev/CI Temporal test server started by start.sh (same TEMPORAL_PORT). Idempotent.
# Its state is in memory: every workflow it held is gone.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
TEMPORAL_HOME_DIR=${TEMPORAL_HOME_DIR:-$REPO_DIR/.temporal}
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
PIDFILE=$TEMPORAL_HOME_DIR/temporal.pid

log() { echo "temporal: $*"; }
is_our_server() {
  local pid=$1
  [[ -n "$pid" && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "LoopbackTestServer.java $TEMPORAL_PORT"
}

PID=""
if [[ -f "$PIDFILE" ]]; then
  PID=$(cat "$PIDFILE" 2>/dev/null || true)
  is_our_server "$PID" || PID=""
fi
if [[ -n "$PID" ]]; then
  log "stopping server pid $PID"
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
  log "stopped"
else
  log "not running"
fi
rm -f "$PIDFILE"
