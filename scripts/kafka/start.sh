#!/usr/bin/env bash
# Start a single-node Apache Kafka broker (KRaft, broker+controller) for dev/CI.
# No Docker: jars come from Maven Central via ./pom.xml, cached in $KAFKA_HOME_DIR/lib.
# Idempotent: returns at once if our broker is already up. Listens on 127.0.0.1 only.
#
# Env:
#   KAFKA_HOME_DIR         state dir (default <repo>/.kafka): lib/ data/ logs/ server.properties kafka.pid
#   KAFKA_PORT             client listener port (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   KAFKA_HEAP_OPTS        default "-Xms256m -Xmx512m"
#   JAVA                   java binary (default $JAVA_HOME/bin/java or java on PATH)
#   MVN                    maven binary (default mvn)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
KAFKA_HOME_DIR=${KAFKA_HOME_DIR:-$REPO_DIR/.kafka}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
NAME=kafka
# shellcheck source=../lib/jvm-server.sh
source "$SCRIPT_DIR/../lib/jvm-server.sh"

POM=$SCRIPT_DIR/pom.xml
LOG4J_CONF=$SCRIPT_DIR/log4j2.properties
LIB=$KAFKA_HOME_DIR/lib
DATA=$KAFKA_HOME_DIR/data
LOGS=$KAFKA_HOME_DIR/logs
PROPS=$KAFKA_HOME_DIR/server.properties
PIDFILE=$KAFKA_HOME_DIR/kafka.pid
BOOTSTRAP=127.0.0.1:$KAFKA_PORT

# Single source of truth for the version: <kafka.version> in pom.xml.
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)
[[ -n "$KAFKA_VERSION" ]] || { echo "kafka: cannot read <kafka.version> from $POM" >&2; exit 1; }
# Marker = version + hash of the pom, so any dependency change refreshes lib/.
POM_HASH=$(sha256sum "$POM" | cut -c1-16)
WANT_MARKER="kafka_2.13 $KAFKA_VERSION pom:$POM_HASH"

is_our_broker() { is_ours "$1" "kafka.Kafka $PROPS"; }

LOG_OFFSET=0   # server.log is appended across runs; only show what this run wrote
show_logs() {
  {
    echo "----- tail $LOGS/server.log -----"
    if [[ -f "$LOGS/server.log" ]]; then
      tail -c +$((LOG_OFFSET + 1)) "$LOGS/server.log" | tail -n 60
    else
      echo "(no server.log)"
    fi
    echo "----- tail $LOGS/kafka.out (stdout/stderr) -----"
    tail -n 30 "$LOGS/kafka.out" 2>/dev/null || echo "(no kafka.out)"
    echo
  } >&2
}

metadata_ready() {
  # small, fast-starting JVM for the probe (~1 s instead of ~2 s)
  timeout 30 "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m \
    -cp "$LIB/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>&1
}

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# Wait for port + metadata. $1 = pid, $2 = "ours" if this invocation started it.
wait_ready() {
  local pid=$1 started=$2 deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  while (( $(date +%s) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      show_logs
      die "broker process $pid exited during startup"
    fi
    if port_open "$KAFKA_PORT" && metadata_ready; then
      log "broker ready on $BOOTSTRAP (pid $pid, Kafka $KAFKA_VERSION) after $(elapsed)s"
      return 0
    fi
    sleep 0.5
  done
  show_logs
  if [[ "$started" == ours ]]; then
    log "not ready after ${KAFKA_START_TIMEOUT}s; stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
  fi
  die "broker not ready on $BOOTSTRAP within ${KAFKA_START_TIMEOUT}s"
}

mkdir -p "$KAFKA_HOME_DIR" "$LOGS"

# Serialise concurrent start.sh calls (parallel CI steps): the 2nd waits, then sees "already running".
if command -v flock >/dev/null 2>&1; then
  exec 9>"$KAFKA_HOME_DIR/.start.lock"
  flock -w 600 9 || die "could not get $KAFKA_HOME_DIR/.start.lock within 600s"
fi

# ---- 1. already running? ---------------------------------------------------
if [[ -f "$PIDFILE" ]]; then
  OLD_PID=$(cat "$PIDFILE" 2>/dev/null || true)
  if is_our_broker "$OLD_PID"; then
    if port_open "$KAFKA_PORT"; then
      log "already running (pid $OLD_PID) on $BOOTSTRAP"
      exit 0
    fi
    log "pid $OLD_PID is alive but $BOOTSTRAP not answering yet; waiting"
    wait_ready "$OLD_PID" theirs
    exit 0
  fi
  log "removing stale pid file (pid ${OLD_PID:-?} not running)"
  rm -f "$PIDFILE"
fi
# pid file lost but our broker still running? adopt it instead of starting a second one.
for d in /proc/[0-9]*; do
  if is_our_broker "${d#/proc/}"; then
    OLD_PID=${d#/proc/}
    echo "$OLD_PID" >"$PIDFILE"
    log "found running broker pid $OLD_PID without pid file; re-created $PIDFILE"
    if port_open "$KAFKA_PORT"; then log "already running (pid $OLD_PID) on $BOOTSTRAP"; exit 0; fi
    wait_ready "$OLD_PID" theirs
    exit 0
  fi
done

for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if port_open "$p"; then
    die "port 127.0.0.1:$p is already in use by another process (not the broker in $KAFKA_HOME_DIR); set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
  fi
done

# ---- 2. java ---------------------------------------------------------------
command -v "$JAVA" >/dev/null 2>&1 || die "java not found (need Java 17+)"
JAVA_MAJOR=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
JAVA_MAJOR=${JAVA_MAJOR#1.}
(( ${JAVA_MAJOR%%.*} >= 17 )) || die "Kafka $KAFKA_VERSION needs Java 17+, found $JAVA_MAJOR"

# ---- 3. jars (cached) ------------------------------------------------------
fetch_jars "$POM" "$LIB" "$LOGS" "$WANT_MARKER" "kafka_2.13-$KAFKA_VERSION.jar"

# ---- 4. server.properties (rewritten every start) --------------------------
cat >"$PROPS" <<EOF
# Generated by scripts/kafka/start.sh -- edits are overwritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF

# ---- 5. format storage once ------------------------------------------------
FORMAT_STAMP=$DATA/.dev-controller-port
if [[ ! -f "$DATA/meta.properties" ]]; then
  mkdir -p "$DATA"
  CLUSTER_ID=$("$JAVA" -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
  [[ -n "$CLUSTER_ID" ]] || die "StorageTool random-uuid failed"
  log "formatting KRaft storage in $DATA (cluster id $CLUSTER_ID)"
  if ! "$JAVA" -cp "$LIB/*" kafka.tools.StorageTool format \
        -t "$CLUSTER_ID" -c "$PROPS" --standalone -g >"$LOGS/format.log" 2>&1; then
    cat "$LOGS/format.log" >&2
    die "StorageTool format failed"
  fi
  echo "$KAFKA_CONTROLLER_PORT" >"$FORMAT_STAMP"
elif [[ -f "$FORMAT_STAMP" && "$(cat "$FORMAT_STAMP")" != "$KAFKA_CONTROLLER_PORT" ]]; then
  # --standalone records the controller endpoint in the metadata log.
  die "data/ was formatted with controller port $(cat "$FORMAT_STAMP"), now $KAFKA_CONTROLLER_PORT; run scripts/kafka/stop.sh --clean first"
fi

# ---- 6. start --------------------------------------------------------------
log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
cd "$KAFKA_HOME_DIR"
LOG_OFFSET=$(stat -c %s "$LOGS/server.log" 2>/dev/null || echo 0)
# shellcheck disable=SC2086
setsid nohup "$JAVA" $KAFKA_HEAP_OPTS \
  -XX:+UseG1GC -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
  -Dlog4j2.configurationFile="file:$LOG4J_CONF" \
  -Dkafka.logs.dir="$LOGS" \
  -cp "$LIB/*" kafka.Kafka "$PROPS" \
  >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
PID=$!
echo "$PID" >"$PIDFILE"

wait_ready "$PID" ours
