#!/usr/bin/env bash
# Stop the dev/CI Temporal test server started by start.sh (same TEMPORAL_PORT). Idempotent.
# Its state is in memory: every workflow it held is gone.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
TEMPORAL_HOME_DIR=${TEMPORAL_HOME_DIR:-$REPO_DIR/.temporal}
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
PIDFILE=$TEMPORAL_HOME_DIR/temporal.pid
NAME=temporal
# shellcheck source=../lib/jvm-server.sh
source "$SCRIPT_DIR/../lib/jvm-server.sh"
is_our_server() { is_ours "$1" "LoopbackTestServer.java $TEMPORAL_PORT"; }

PID=""
if [[ -f "$PIDFILE" ]]; then
  PID=$(cat "$PIDFILE" 2>/dev/null || true)
  is_our_server "$PID" || PID=""
fi
if [[ -n "$PID" ]]; then
  stop_pid "$PID" 10
else
  log "not running"
fi
rm -f "$PIDFILE"
