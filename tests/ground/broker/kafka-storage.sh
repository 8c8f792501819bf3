#!/bin/sh
# kafka-storage.sh of the ground's broker image: Kafka's storage tool
# (kafka.tools.StorageTool, as Kafka's own script runs it), e.g.
#   kafka-storage.sh random-uuid
#   kafka-storage.sh format --ignore-formatted --cluster-id ID --config FILE
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
