#!/bin/bash
# Evaluation: BoN N=8..256 and SpR alpha 0.3..0.9 on alpaca_farm_dev50 with the embedded mini pair.
cd /tmp/evaltree
P=testdata/alpaca_farm_dev50.json
run() { name=$1; shift; echo "=== $name $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"; ./specrej run --prompts $P --max-new-tokens 128 --seed 0 --progress lines --out /tmp/eval/$name.jsonl --resume "$@" 2>&1 | tail -1; }
run bon8 --strategy bon --n 8
run bon16 --strategy bon --n 16
run bon32 --strategy bon --n 32
run spr-a0.9 --strategy specrej --alpha 0.9 --memory-budget 64MiB
run spr-a0.7 --strategy specrej --alpha 0.7 --memory-budget 64MiB
run spr-a0.5 --strategy specrej --alpha 0.5 --memory-budget 64MiB
run spr-a0.3 --strategy specrej --alpha 0.3 --memory-budget 64MiB
run bon64 --strategy bon --n 64
run bon128 --strategy bon --n 128
run bon256 --strategy bon --n 256
echo "=== done $(date +%T)"
#!/bin/bash
# Re-runs of the runs that shared the machine with other jobs (load 3-5), so every wall time is from a quiet machine.
while pgrep -f /tmp/eval/run.sh >/dev/null; do sleep 10; done
cd /tmp/evaltree
P=testdata/alpaca_farm_dev50.json
run() { name=$1; shift; echo "=== $name $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"; ./specrej run --prompts $P --max-new-tokens 128 --seed 0 --progress lines --out /tmp/eval/$name.jsonl --force "$@" 2>&1 | tail -1; }
run q-bon8 --strategy bon --n 8
run q-bon16 --strategy bon --n 16
run q-bon32 --strategy bon --n 32
run q-spr-a0.9 --strategy specrej --alpha 0.9 --memory-budget 64MiB
run q-spr-a0.7 --strategy specrej --alpha 0.7 --memory-budget 64MiB
run corr-a0-n32-every16 --strategy specrej --alpha 0 --n 32 --decision-every 16 --memory-budget 2GiB
echo "=== done $(date +%T)"
