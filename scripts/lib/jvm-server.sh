# Shared by the development servers that run from Maven Central jars (scripts/kafka, scripts/temporal):
# finding Java, fetching the jars once, recognising our own process, and stopping it.
# Source it after setting NAME (the log prefix); it defines log, die, port_open, is_ours,
# fetch_jars and stop_pid.

log() { echo "$NAME: $*"; }
die() { echo "$NAME: ERROR: $*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The java binary: $JAVA, else $JAVA_HOME/bin/java, else java on PATH.
if [[ -z "${JAVA:-}" ]]; then
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA=$JAVA_HOME/bin/java; else JAVA=java; fi
fi
MVN=${MVN:-mvn}

# is_ours PID TEXT: PID is alive and its command line holds TEXT (guards against a reused pid).
is_ours() {
  local pid=$1
  [[ -n "$pid" && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$2"
}

# fetch_jars POM LIB LOGS MARKER_LINE EXPECTED_JAR: copies the pom's runtime dependencies into LIB
# unless LIB/.jars already holds MARKER_LINE (the version and a hash of the pom, so any dependency
# change refreshes it). The copy lands in a temporary folder first: an interrupted fetch leaves no
# half-filled LIB behind.
fetch_jars() {
  local pom=$1 lib=$2 logs=$3 marker=$4 expected=$5
  [[ -f "$lib/.jars" && "$(cat "$lib/.jars")" == "$marker" ]] && return 0
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (need a JDK 17+)"
  command -v "$MVN" >/dev/null 2>&1 || die "lib/ missing or outdated and Maven ($MVN) not found"
  log "fetching $marker with Maven into $lib ..."
  local tmp=$lib.tmp.$$
  rm -rf "$tmp"
  # packaging=pom, so nothing is built; -B: no colour or progress bars.
  if ! "$MVN" -B -q -f "$pom" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$logs/maven.log" 2>&1; then
    tail -n 40 "$logs/maven.log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the jars (full log: $logs/maven.log)"
  fi
  rm -rf "$(dirname "$pom")/target"
  [[ -f "$tmp/$expected" ]] || die "$expected missing after the Maven run"
  echo "$marker" >"$tmp/.jars"
  rm -rf "$lib"
  mv "$tmp" "$lib"
  log "$(ls "$lib"/*.jar | wc -l) jars in $lib ($(du -sh "$lib" | cut -f1))"
}

# stop_pid PID SECONDS: TERM, then KILL if it is still alive after SECONDS.
stop_pid() {
  local pid=$1 waits=$(( $2 * 4 ))
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 "$waits"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after $2 s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  log "stopped"
}
