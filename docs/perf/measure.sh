#!/bin/bash
# Side-by-side speed: SpecRej then the PyTorch peer right after it, same checkpoint, 2 threads.
cd /work/main
O=/tmp/perf/out
G=/tmp/qwen05-bf16; R=/tmp/skywork-bf16
log() { echo "### $* (load $(cut -d' ' -f1 /proc/loadavg), $(date +%T))"; }
for n in 1 16 64; do
  log "specrej bench n=$n"; ./specrej bench --model $G --n $n --prompt-len 128 --new-tokens 64 --threads 2 --runs 2 --json
  log "torch bf16 n=$n"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $G --n $n --prompt-len 128 --new-tokens 64 --threads 2 --dtype bf16 2>&1 | tail -1
  log "torch f32 n=$n"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $G --n $n --prompt-len 128 --new-tokens 64 --threads 2 --dtype f32 2>&1 | tail -1
done
log "specrej prefill 512"; ./specrej bench --model $G --n 1 --prompt-len 512 --new-tokens 8 --threads 2 --runs 2 --json
log "torch bf16 prefill 512"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $G --n 1 --prompt-len 512 --new-tokens 8 --threads 2 --dtype bf16 2>&1 | tail -1
log "torch f32 prefill 512"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $G --n 1 --prompt-len 512 --new-tokens 8 --threads 2 --dtype f32 2>&1 | tail -1
log "specrej score skywork n=16"; ./specrej bench --model $G --reward-model $R --n 16 --prompt-len 128 --new-tokens 64 --threads 2 --runs 1 --skip-decode --json
log "torch score skywork n=16 bf16"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $R --n 16 --prompt-len 128 --new-tokens 1 --threads 2 --dtype bf16 2>&1 | tail -1
log "torch score skywork n=16 f32"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $R --n 16 --prompt-len 128 --new-tokens 1 --threads 2 --dtype f32 2>&1 | tail -1
log "specrej e2e specrej n=64 a=0.5 every16, 5 prompts"; ./specrej run --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej --n 64 --alpha 0.5 --decision-every 16 --memory-budget 2GiB --max-new-tokens 128 --seed 0 --progress lines --force --out $O/e2e-specrej.jsonl 2>&1 | tail -6
log "torch_bon e2e specrej n=64 a=0.5 every16, 5 prompts"; /usr/bin/python3 /work/shared/peers/torch_bon.py --generator models/mini-alpaca-gen --reward-model models/mini-alpaca-rm --prompts testdata/alpaca_farm_dev50.json --limit 5 --strategy specrej --n 64 --alpha 0.5 --decision-every 16 --kv-budget-tokens 10000000 --max-new-tokens 128 --threads 2 --out $O/e2e-torch.jsonl 2>&1 | tail -6
log "sgemm_peak"; env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 /work/shared/peers/sgemm_peak.py --threads 2 2>&1 | tail -30
log "specrej bench n=256"; ./specrej bench --model $G --n 256 --prompt-len 128 --new-tokens 64 --threads 2 --runs 1 --json
log "torch bf16 n=256"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $G --n 256 --prompt-len 128 --new-tokens 64 --threads 2 --dtype bf16 2>&1 | tail -1
log "torch f32 n=256"; /usr/bin/python3 /work/shared/peers/torch_generate.py --model $G --n 256 --prompt-len 128 --new-tokens 64 --threads 2 --dtype f32 2>&1 | tail -1
log "done"
