#!/bin/bash
# Session 6: docs/perf/measure-private-context.sh again after bench started collecting garbage before each timed
# decode (System.gc()), n = 64 only, with GC pauses logged; output measure-private-context-gc.log.
cd "$(dirname "$0")/../.."
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
for round in 1 2; do
  for kv in f32 bf16; do
    echo "== round $round, --kv-cache $kv ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
    SPECREJ_JAVA_OPTS="-Xlog:gc:file=/tmp/gc-$kv-$round.log" ./specrej --kv-cache $kv bench --model /tmp/qwen05-bf16 \
        --n 64 --prompt-len 2048 --new-tokens 24 --threads 2 --runs 2 --private-context --json
    echo "GC pauses over 100 ms in that JVM: $(grep Pause /tmp/gc-$kv-$round.log | awk '{v=$NF; sub("ms","",v); if (v+0 > 100) printf "%s ", $NF}')"
  done
done
