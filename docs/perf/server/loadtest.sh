#!/usr/bin/env bash
# The server's load test (docs/SERVER.md, "Load test"): for the embedded pair and for a random-weight
# Qwen2.5-0.5B-Instruct-config bf16 generator (with the real Qwen3 tokenizer from testdata, whose vocabulary fits
# Qwen2.5's), start `specrej serve`, warm it up, then `specrej loadtest` at C = 1, 4, 16 for plain sampling (n = 1)
# and Speculative Rejection; and `bench` (prefill and one-sequence decode, warmed up, no HTTP) for the server's
# overhead at C = 1: the request's time predicted from bench's rates against the server's latency.
# Usage: docs/perf/server/loadtest.sh [OUT_DIR]   (default target/loadtest)   (run on a quiet machine; takes ~15 minutes on 2 cores)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
out=${1:-$root/target/loadtest}
mkdir -p "$out"
cd "$root"
./specrej --version >/dev/null   # builds once
export SPECREJ_NO_REBUILD=1
qwen="$out/qwen05-bf16"
if [ ! -f "$qwen/model.safetensors" ]; then
  ./specrej random-model --config app/src/test/resources/configs/qwen2.5-0.5b-instruct.json --out "$qwen" --dtype bf16
  gunzip -c testdata/fixtures/real-tokenizers/qwen3/tokenizer.json.gz > "$qwen/tokenizer.json"
  cp testdata/fixtures/real-tokenizers/qwen3/tokenizer_config.json "$qwen/"
fi
port=8123
url="http://127.0.0.1:$port"

serve() {   # serve MODEL REWARD
  ./specrej serve --port $port --model "$1" --reward-model "$2" --memory-budget 4GiB --request-budget 64MiB \
      > "$out/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -sf "$url/health" >/dev/null && return 0; sleep 0.5; done
  echo "the server did not start: $(cat "$out/serve.log")" >&2; exit 1
}
stop() {   # SIGTERM to the JVM (the launcher runs it as a child): the graceful stop, then the port is free
  pkill -TERM -f "io.specrej.app.Main serve --port $port" || true
  wait "$server" || true
  for _ in $(seq 1 100); do curl -s "$url/health" >/dev/null || return 0; sleep 0.2; done
}

for pair in embedded qwen; do
  if [ $pair = embedded ]; then model=models/mini-alpaca-gen; rm_dir=models/mini-alpaca-rm; tokens=64
  else model=$qwen; rm_dir=models/mini-alpaca-rm; tokens=32; fi
  serve "$model" "$rm_dir"
  ./specrej loadtest --url "$url" --concurrency 4 --requests 8 --max-tokens 8 >/dev/null   # warm-up
  echo "== $pair: sample, n = 1, max_tokens $tokens, ignore_eos"
  ./specrej loadtest --url "$url" --concurrency 1,4,16 --requests 16 --max-tokens $tokens --ignore-eos
  echo "== $pair: sample, C = 1, the request generate runs below (same prompt, seeds 0-3)"
  ./specrej loadtest --url "$url" --concurrency 1 --requests 4 --max-tokens $tokens --ignore-eos \
      --prompt "Give three tips for staying healthy."
  echo "== $pair: speculative_rejection, alpha 0.5, memory_budget 8MiB, max_tokens $tokens"
  ./specrej loadtest --url "$url" --concurrency 1,4,16 --requests 16 --max-tokens $tokens \
      --strategy speculative_rejection --extra '{"alpha": 0.5, "memory_budget": 8388608}'
  stop
  echo "== $pair: bench, n = 1, the same prompt length and new tokens, no server"
  ./specrej bench --model "$model" --n 1 --prompt-len 20 --new-tokens $tokens --runs 3 --json
done
