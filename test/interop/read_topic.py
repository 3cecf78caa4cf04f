"""Reads a CampusG topic with kafka-python (Debian's python3-kafka), a client the project did not
write, and prints one JSON object per record: topic, partition, offset, key, headers and the decoded
envelope. Run with the system interpreter: /usr/bin/python3 -I read_topic.py BROKERS TOPIC [TIMEOUT_MS]

Nothing CampusG-specific is needed to decode a message: the value is a UTF-8 JSON object, the key is
a UTF-8 string (the order id), the headers are UTF-8 strings.
"""
import json
import sys

from kafka import KafkaConsumer, TopicPartition


def main() -> None:
    brokers, topic = sys.argv[1], sys.argv[2]
    timeout_ms = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    # No group: assign every partition and read from the beginning to the end offsets known now.
    consumer = KafkaConsumer(
        bootstrap_servers=brokers.split(","),
        group_id=None,
        enable_auto_commit=False,
        client_id="campusg-interop-python",
        request_timeout_ms=max(timeout_ms, 30000) + 1000,
        consumer_timeout_ms=timeout_ms,
    )
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise SystemExit(f"topic {topic} not found")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    remaining = {tp for tp in tps if end[tp] > 0}
    for record in consumer:
        tp = TopicPartition(record.topic, record.partition)
        print(
            json.dumps(
                {
                    "partition": record.partition,
                    "offset": record.offset,
                    "key": record.key.decode("utf-8") if record.key is not None else None,
                    "headers": {k: v.decode("utf-8") for k, v in (record.headers or [])},
                    "envelope": json.loads(record.value.decode("utf-8")),
                }
            ),
            flush=True,
        )
        if record.offset + 1 >= end[tp]:
            remaining.discard(tp)
        if not remaining:
            break
    consumer.close()


if __name__ == "__main__":
    main()
