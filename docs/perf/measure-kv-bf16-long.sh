#!/bin/bash
# Session 6: long generations, where every sequence's generated tokens are its own pages (the case bench's shared
# prompt does not reach): 32 continuations of a 64-token prompt, 1,024 new tokens each, float32 vs bfloat16 KV cache,
# as logged in measure-kv-bf16-long.log. Needs /tmp/qwen05-bf16 (docs/PERFORMANCE.md, "Checkpoints").
cd "$(dirname "$0")/../.."
IDS=$(seq -s, 1000 1063)
for kv in f32 bf16 f32 bf16; do
  echo "== --kv-cache $kv"
  /usr/bin/time -f "wall %e s, max RSS %M KB" env SPECREJ_NO_REBUILD=1 ./specrej --kv-cache $kv generate \
      --model /tmp/qwen05-bf16 --ids "$IDS" --n 32 --max-new-tokens 1024 --ignore-eos --seed 1 --json 2>&1 >/dev/null \
      | grep -v '^$'
done
