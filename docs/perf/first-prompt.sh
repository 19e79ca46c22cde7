#!/bin/bash
# Per-prompt seconds of the end-to-end command (SpR on the mini pair, 5 prompts), RUNS times, with extra JVM options:
#   docs/perf/first-prompt.sh RUNS "JVM OPTIONS"      e.g. docs/perf/first-prompt.sh 3 "-XX:CICompilerCount=1"
# One line per run: the five prompts' seconds, then the run's total. Used for the JIT warm-up experiments.
cd "$(dirname "$0")/../.."
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
mkdir -p /tmp/perf/out
for i in $(seq "$1"); do
  SPECREJ_JAVA_OPTS="${2:-}" ./specrej run --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej \
      --n 64 --alpha 0.5 --decision-every 16 --memory-budget 2GiB --max-new-tokens 128 --seed 0 --progress lines \
      --force --out /tmp/perf/out/first-prompt.jsonl 2>&1 \
    | grep -o "tokens, [0-9.]* s\|in [0-9.]* s" | grep -o "[0-9.]* s" | cut -d' ' -f1 | tr '\n' ' '
  echo
done
