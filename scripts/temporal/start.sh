#!/usr/bin/env bash
# Start Temporal's test server (io.temporal:temporal-test-server, from Maven Central) for dev/CI:
# a Temporal frontend on 127.0.0.1:$TEMPORAL_PORT whose state lives in memory only (a restart
# forgets every workflow). Production points TEMPORAL_ADDRESS at a Temporal cluster instead.
# Jars come via ./pom.xml, cached in $TEMPORAL_HOME_DIR/lib. Idempotent: returns at once if our
# server is already up.
#
# Env:
#   TEMPORAL_HOME_DIR       state dir (default <repo>/.temporal): lib/ logs/ temporal.pid
#   TEMPORAL_PORT           frontend port (default 7233)
#   TEMPORAL_START_TIMEOUT  seconds to wait for readiness (default 90)
#   TEMPORAL_HEAP_OPTS      default "-Xms64m -Xmx384m"
#   JAVA                    java binary (default $JAVA_HOME/bin/java or java on PATH; needs a JDK 17+)
#   MVN                     maven binary (default mvn)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
TEMPORAL_HOME_DIR=${TEMPORAL_HOME_DIR:-$REPO_DIR/.temporal}
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_START_TIMEOUT=${TEMPORAL_START_TIMEOUT:-90}
TEMPORAL_HEAP_OPTS=${TEMPORAL_HEAP_OPTS:--Xms64m -Xmx384m}
NAME=temporal
# shellcheck source=../lib/jvm-server.sh
source "$SCRIPT_DIR/../lib/jvm-server.sh"

POM=$SCRIPT_DIR/pom.xml
LAUNCHER=$SCRIPT_DIR/LoopbackTestServer.java
LIB=$TEMPORAL_HOME_DIR/lib
LOGS=$TEMPORAL_HOME_DIR/logs
PIDFILE=$TEMPORAL_HOME_DIR/temporal.pid
VERSION=$(sed -n 's:.*<temporal.version>\(.*\)</temporal.version>.*:\1:p' "$POM" | head -n1)
[[ -n "$VERSION" ]] || { echo "temporal: cannot read <temporal.version> from $POM" >&2; exit 1; }
WANT_MARKER="temporal-test-server $VERSION pom:$(sha256sum "$POM" | cut -c1-16)"
is_our_server() { is_ours "$1" "LoopbackTestServer.java $TEMPORAL_PORT"; }

wait_ready() {
  local pid=$1 deadline=$(( $(date +%s) + TEMPORAL_START_TIMEOUT ))
  while (( $(date +%s) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      tail -n 40 "$LOGS/temporal.out" >&2 || true
      die "server process $pid exited during startup"
    fi
    if grep -q "listening on 127.0.0.1:$TEMPORAL_PORT" "$LOGS/temporal.out" 2>/dev/null && port_open "$TEMPORAL_PORT"; then
      log "ready on 127.0.0.1:$TEMPORAL_PORT (pid $pid, temporal-test-server $VERSION, state in memory)"
      return 0
    fi
    sleep 0.5
  done
  tail -n 40 "$LOGS/temporal.out" >&2 || true
  kill -TERM "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  die "not ready on 127.0.0.1:$TEMPORAL_PORT within ${TEMPORAL_START_TIMEOUT}s"
}

mkdir -p "$TEMPORAL_HOME_DIR" "$LOGS"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TEMPORAL_HOME_DIR/.start.lock"
  flock -w 600 9 || die "could not get $TEMPORAL_HOME_DIR/.start.lock within 600s"
fi

# ---- 1. already running? ---------------------------------------------------
if [[ -f "$PIDFILE" ]]; then
  OLD_PID=$(cat "$PIDFILE" 2>/dev/null || true)
  if is_our_server "$OLD_PID"; then
    if port_open "$TEMPORAL_PORT"; then log "already running (pid $OLD_PID) on 127.0.0.1:$TEMPORAL_PORT"; exit 0; fi
    wait_ready "$OLD_PID"
    exit 0
  fi
  rm -f "$PIDFILE"
fi
port_open "$TEMPORAL_PORT" && die "port 127.0.0.1:$TEMPORAL_PORT is already in use by another process; set TEMPORAL_PORT"

# ---- 2. java and jars (cached) ---------------------------------------------
command -v "$JAVA" >/dev/null 2>&1 || die "java not found (need a JDK 17+)"
fetch_jars "$POM" "$LIB" "$LOGS" "$WANT_MARKER" "temporal-test-server-$VERSION.jar"

# ---- 3. start --------------------------------------------------------------
log "starting temporal-test-server $VERSION on 127.0.0.1:$TEMPORAL_PORT"
cd "$TEMPORAL_HOME_DIR"
# shellcheck disable=SC2086
setsid nohup "$JAVA" $TEMPORAL_HEAP_OPTS -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
  -cp "$LIB/*" "$LAUNCHER" "$TEMPORAL_PORT" >"$LOGS/temporal.out" 2>&1 </dev/null 9>&- &
PID=$!
echo "$PID" >"$PIDFILE"
wait_ready "$PID"
