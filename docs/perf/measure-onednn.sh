#!/bin/bash
# Side by side on a quiet machine: SpecRej with --matmul auto (= oneDNN for bf16 weights here), SpecRej with the
# Vector API kernels, and the PyTorch peer right after them; same checkpoint, 2 threads. Output: measure-onednn.log.
# Checkpoints (random weights of the real configs):
#   ./specrej random-model --config /work/shared/configs/qwen2.5-0.5b-instruct.json --out /tmp/qwen05-bf16 --dtype bf16
#   ./specrej random-model --config /work/shared/configs/skywork-reward-v2-qwen3-0.6b.json --out /tmp/skywork-bf16 --dtype bf16
cd "$(dirname "$0")/../.."
# Build once now, then never again during the run (an edit made meanwhile must not mix two versions in one log).
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
O=/tmp/perf/out; mkdir -p $O
G=/tmp/qwen05-bf16; R=/tmp/skywork-bf16
PY=/usr/bin/python3; PEERS=/work/shared/peers
log() { echo "### $* (load $(cut -d' ' -f1 /proc/loadavg), $(date +%T))"; }
for n in 1 16 64 256; do
  runs=2; [ $n = 256 ] && runs=1
  for b in auto vector; do
    log "specrej --matmul $b bench n=$n"; ./specrej bench --matmul $b --model $G --n $n --prompt-len 128 --new-tokens 64 --threads 2 --runs $runs --json
  done
  log "torch bf16 n=$n"; $PY $PEERS/torch_generate.py --model $G --n $n --prompt-len 128 --new-tokens 64 --threads 2 --dtype bf16 2>&1 | tail -1
done
log "torch f32 n=16"; $PY $PEERS/torch_generate.py --model $G --n 16 --prompt-len 128 --new-tokens 64 --threads 2 --dtype f32 2>&1 | tail -1
for b in auto vector; do
  log "specrej --matmul $b prefill 512"; ./specrej bench --matmul $b --model $G --n 1 --prompt-len 512 --new-tokens 8 --threads 2 --runs 2 --json
done
log "torch bf16 prefill 512"; $PY $PEERS/torch_generate.py --model $G --n 1 --prompt-len 512 --new-tokens 8 --threads 2 --dtype bf16 2>&1 | tail -1
for b in auto vector; do
  log "specrej --matmul $b score skywork n=16"; ./specrej bench --matmul $b --model $G --reward-model $R --n 16 --prompt-len 128 --new-tokens 64 --threads 2 --runs 1 --skip-decode --json
done
log "torch score skywork n=16 bf16"; $PY $PEERS/torch_generate.py --model $R --n 16 --prompt-len 128 --new-tokens 1 --threads 2 --dtype bf16 2>&1 | tail -1
log "sgemm_peak"; env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $PY $PEERS/sgemm_peak.py --threads 2 2>&1 | tail -30
log "specrej attention share, n=8, context 2048"; ./specrej bench --model $G --n 8 --prompt-len 2032 --new-tokens 16 --threads 2 --runs 1
log "torch bf16 n=8, context 2048 (its score phase, a full forward over 8 x 2048 tokens, takes ~3 min)"; $PY $PEERS/torch_generate.py --model $G --n 8 --prompt-len 2032 --new-tokens 16 --threads 2 --dtype bf16 2>&1 | tail -1
for b in auto vector; do
  log "max RSS, --matmul $b, generate n=4 (file $(stat -c %s $G/model.safetensors) bytes)"
  /usr/bin/time -f "max RSS %M KB" ./specrej generate --matmul $b --model $G --ids 1,2,3,4,5,6,7,8 --n 4 --max-new-tokens 8 --ignore-eos --json > /dev/null
done
log "specrej e2e specrej n=64 a=0.5 every16, 5 prompts"; ./specrej run --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej --n 64 --alpha 0.5 --decision-every 16 --memory-budget 2GiB --max-new-tokens 128 --seed 0 --progress lines --force --out $O/e2e-specrej.jsonl 2>&1 | tail -6
log "torch_bon e2e specrej n=64 a=0.5 every16, 5 prompts"; $PY $PEERS/torch_bon.py --generator models/mini-alpaca-gen --reward-model models/mini-alpaca-rm --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej --n 64 --alpha 0.5 --decision-every 16 --kv-budget-tokens 10000000 --max-new-tokens 128 --threads 2 --out $O/e2e-torch.jsonl 2>&1 | tail -6
log "done"
