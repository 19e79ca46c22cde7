#!/bin/bash
# Session 6: bench with a float32 and a bfloat16 KV cache, alternated, at 2,048 tokens of (shared) context and at the
# issue's 128-token workload, as logged in measure-kv-bf16.log. Needs the random Qwen2.5-0.5B checkpoint
# /tmp/qwen05-bf16 (docs/PERFORMANCE.md, "Checkpoints").
cd "$(dirname "$0")/../.."
for round in 1 2; do
  for kv in f32 bf16; do
    echo "== round $round, --kv-cache $kv, 2048-token prompt"
    SPECREJ_NO_REBUILD=1 ./specrej --kv-cache $kv bench --model /tmp/qwen05-bf16 --n 8,64 --prompt-len 2048 \
        --new-tokens 8 --threads 2 --runs 1 --json
  done
done
for kv in f32 bf16; do
  echo "== --kv-cache $kv, 128-token prompt"
  SPECREJ_NO_REBUILD=1 ./specrej --kv-cache $kv bench --model /tmp/qwen05-bf16 --n 1,16,64,256 --prompt-len 128 \
      --new-tokens 64 --threads 2 --runs 2 --json
done
