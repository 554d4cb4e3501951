#!/usr/bin/env bash
# Fetch, start and stop a single-node Apache Kafka (KRaft, broker + controller) on 127.0.0.1.
#
#   infra/kafka/kafka.sh start    fetch the jars once, format storage once, start, wait until ready
#   infra/kafka/kafka.sh stop     stop the broker this script started
#   infra/kafka/kafka.sh status   exit 0 when a broker answers on the port
#   infra/kafka/kafka.sh fetch    only download the jars into the cache
#
# Settings (environment):
#   KAFKA_VERSION   (4.1.1)                        the org.apache.kafka:kafka_2.13 version
#   KAFKA_PORT      (9092)                         client port; the controller uses KAFKA_PORT+1
#   KAFKA_DATA_DIR  (.local/kafka-$KAFKA_PORT)     log dirs, pid file, broker.log
#   KAFKA_CACHE_DIR (~/.cache/reach)               where the jars are kept between runs
#   KAFKA_HEAP      (-Xms256m -Xmx1g)              JVM heap bounds
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${KAFKA_VERSION:-4.1.1}
port=${KAFKA_PORT:-9092}
controller_port=$((port + 1))
data=${KAFKA_DATA_DIR:-$root/.local/kafka-$port}
cache=${KAFKA_CACHE_DIR:-$HOME/.cache/reach}
libs=$cache/kafka-$version/libs
heap=${KAFKA_HEAP:--Xms256m -Xmx1g}
pidfile=$data/broker.pid
# shellcheck disable=SC2206
jvm=(java $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dkafka.logs.dir=$data" "-Dlog4j2.configurationFile=$here/log4j2.yaml" -cp "$libs/*")

log() { echo "kafka: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Java 17 and Maven from Debian's packages when they are missing (as root; otherwise say so).
ensure_tools() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "please install: ${missing[*]}"; exit 1; fi
  log "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

fetch() {
  ensure_tools
  if [ -f "$libs/kafka_2.13-$version.jar" ]; then return 0; fi
  log "fetching org.apache.kafka:kafka_2.13:$version into $libs"
  mkdir -p "$libs.tmp"
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp"
  rm -rf "$libs" && mv "$libs.tmp" "$libs"
}

write_config() {
  mkdir -p "$data/logs"
  cat >"$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
log.segment.bytes=67108864
PROPS
}


start() {
  if port_open; then log "a broker already answers on 127.0.0.1:$port; reusing it"; return 0; fi
  fetch
  write_config
  if [ ! -f "$data/logs/meta.properties" ]; then
    log "formatting KRaft storage in $data/logs"
    "${jvm[@]}" kafka.tools.StorageTool format --standalone \
      -t "$("${jvm[@]}" kafka.tools.StorageTool random-uuid)" -c "$data/server.properties" >/dev/null
  fi
  : >"$data/broker.log"  # readiness is read from this run's log only
  log "starting broker on 127.0.0.1:$port (log: $data/broker.log)"
  # setsid: the broker outlives the shell (and Ctrl-C) that started it; `stop` ends it.
  setsid "${jvm[@]}" kafka.Kafka "$data/server.properties" </dev/null >"$data/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if port_open && grep -q "Kafka Server started" "$data/broker.log" 2>/dev/null; then
      log "ready"; return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "broker exited; last lines of $data/stdout.log:"; tail -20 "$data/stdout.log" >&2; exit 1
    fi
    sleep 0.5
  done
  log "broker did not become ready in 60 s"; exit 1
}

stop() {
  [ -f "$pidfile" ] || { log "no broker started from $data"; return 0; }
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "forcing stop"; kill -9 "$pid"; }
  fi
  rm -f "$pidfile"; log "stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) port_open ;;
  fetch) fetch ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
