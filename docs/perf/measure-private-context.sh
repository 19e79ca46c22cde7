#!/bin/bash
# Session 6: decode with 2,048 tokens of context that every sequence holds alone (bench --private-context: each
# sequence's own copy of the prompt's KV, as after a long generation of its own), float32 and bfloat16 KV cache,
# alternated, 24 steps, median of 2 runs; output measure-private-context.log (the first, noisier try with 8 steps and
# one run: measure-private-context-8steps.log). Needs /tmp/qwen05-bf16 (docs/PERFORMANCE.md, "Checkpoints").
cd "$(dirname "$0")/../.."
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
for round in 1 2; do
  for kv in f32 bf16; do
    echo "== round $round, --kv-cache $kv ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
    ./specrej --kv-cache $kv bench --model /tmp/qwen05-bf16 --n 8,64 --prompt-len 2048 --new-tokens 24 --threads 2 \
        --runs 2 --private-context --json
  done
done
