#!/bin/bash
# End to end on the embedded mini pair, SpecRej then the official loop (torch_bon.py) right after it; plus the demo's
# wall time and peak memory. Output: measure-e2e.log.
cd "$(dirname "$0")/../.."
# Build once now, then never again during the run (an edit made meanwhile must not mix two versions in one log).
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
O=/tmp/perf/out; mkdir -p $O
log() { echo "### $* (load $(cut -d' ' -f1 /proc/loadavg), $(date +%T))"; }
log "specrej e2e specrej n=64 a=0.5 every16, 5 prompts"; ./specrej run --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej --n 64 --alpha 0.5 --decision-every 16 --memory-budget 2GiB --max-new-tokens 128 --seed 0 --progress lines --force --out $O/e2e-specrej.jsonl 2>&1 | tail -6
log "torch_bon e2e specrej n=64 a=0.5 every16, 5 prompts"; /usr/bin/python3 /work/shared/peers/torch_bon.py --generator models/mini-alpaca-gen --reward-model models/mini-alpaca-rm --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej --n 64 --alpha 0.5 --decision-every 16 --kv-budget-tokens 10000000 --max-new-tokens 128 --threads 2 --out $O/e2e-torch.jsonl 2>&1 | tail -6
log "specrej demo"; /usr/bin/time -f "demo wall %e s, max RSS %M KB" ./specrej demo > /dev/null
log "done"
