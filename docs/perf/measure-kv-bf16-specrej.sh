#!/bin/bash
# Session 6: Speculative Rejection on the mini pair under one memory budget, float32 vs bfloat16 KV cache: the budget
# chooses the initial batch (no --n). Output: measure-kv-bf16-specrej.log.
cd "$(dirname "$0")/../.."
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
O=/tmp/perf/out; mkdir -p $O
for kv in f32 bf16; do
  echo "### --kv-cache $kv ($(date +%T))"
  /usr/bin/time -f "wall %e s, max RSS %M KB" ./specrej --kv-cache $kv run --prompts testdata/alpaca_farm_dev50.json \
      --limit 10 --strategy specrej --alpha 0.5 --memory-budget 48MiB --max-new-tokens 128 --seed 0 --progress none \
      --force --out $O/kv-$kv.jsonl 2>&1 | tail -3
  ./specrej analyze $O/kv-$kv.jsonl 2>&1 | head -30
done
