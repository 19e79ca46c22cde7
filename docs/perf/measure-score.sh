#!/bin/bash
# Reward-model scoring at the peer's sequence length (prompt 128 + 1 token = 129 tokens per sequence), SpecRej twice
# then the PyTorch peer. Output: measure-score.log.
cd "$(dirname "$0")/../.."
# Build once now, then never again during the run (an edit made meanwhile must not mix two versions in one log).
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
log() { echo "### $* (load $(cut -d' ' -f1 /proc/loadavg), $(date +%T))"; }
for i in 1 2; do
  log "specrej score skywork n=16, 129 tokens, run $i"; ./specrej bench --model /tmp/qwen05-bf16 --reward-model /tmp/skywork-bf16 --n 16 --prompt-len 128 --new-tokens 1 --threads 2 --runs 1 --skip-decode --json
done
log "torch score skywork n=16 bf16"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model /tmp/skywork-bf16 --n 16 --prompt-len 128 --new-tokens 1 --threads 2 --dtype bf16 2>&1 | tail -1
log "done"
