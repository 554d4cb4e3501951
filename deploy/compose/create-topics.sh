#!/usr/bin/env bash
# Creates every Reach topic before the services start (the compose `topics` one-shot).
# The list is contracts/'s TOPICS and DEAD_LETTER_TOPIC; tests/deploy checks it stays so.
# KAFKA_BOOTSTRAP_SERVERS, KAFKA_PARTITIONS and KAFKA_REPLICATION_FACTOR size them.
set -euo pipefail

bootstrap=${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}
partitions=${KAFKA_PARTITIONS:-4}
replication=${KAFKA_REPLICATION_FACTOR:-1}
kafka_topics=${KAFKA_TOPICS_SH:-/opt/kafka/bin/kafka-topics.sh}

create() {
    local name=$1
    shift
    "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name" \
        --partitions "$partitions" --replication-factor "$replication" "$@"
}

# upstream (published by the trading and account systems)
create trading.trades.v1
create trading.logins.v1
create trading.fund-transfers.v1
create trading.positions.v1
create accounts.events.v1
create products.subscriptions.v1
create engagement.events.v1
# Reach's own
create reach.portraits.v1 --config cleanup.policy=compact
create reach.segment-memberships.v1
create reach.outreach.v1
create reach.deliveries.v1
create reach.dead-letters.v1

"$kafka_topics" --bootstrap-server "$bootstrap" --list
