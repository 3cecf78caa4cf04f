#!/usr/bin/env bash
# Stop the dev/CI Kafka broker started by start.sh. Idempotent.
#   stop.sh          stop (TERM, wait up to 30 s, then KILL); data/ is kept
#   stop.sh --clean  stop and delete data/ (topics, offsets, cluster id); lib/ stays
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
KAFKA_HOME_DIR=${KAFKA_HOME_DIR:-$REPO_DIR/.kafka}
PROPS=$KAFKA_HOME_DIR/server.properties
PIDFILE=$KAFKA_HOME_DIR/kafka.pid
DATA=$KAFKA_HOME_DIR/data

CLEAN=0
case "${1:-}" in
  "") ;;
  --clean) CLEAN=1 ;;
  -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--clean]" >&2; exit 2 ;;
esac

NAME=kafka
# shellcheck source=../lib/jvm-server.sh
source "$SCRIPT_DIR/../lib/jvm-server.sh"
is_our_broker() { is_ours "$1" "kafka.Kafka $PROPS"; }

PID=""
if [[ -f "$PIDFILE" ]]; then
  PID=$(cat "$PIDFILE" 2>/dev/null || true)
  is_our_broker "$PID" || PID=""
fi
if [[ -z "$PID" ]]; then
  # pid file missing/stale: look for a broker started with exactly our server.properties
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    if is_our_broker "$p"; then PID=$p; break; fi
  done
fi

if [[ -n "$PID" ]]; then
  stop_pid "$PID" 30
else
  log "not running"
fi
rm -f "$PIDFILE"

if (( CLEAN )); then
  rm -rf "$DATA"
  log "removed $DATA (lib/ kept)"
fi
