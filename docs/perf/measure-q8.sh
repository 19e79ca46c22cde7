#!/bin/bash
# Q8_0 weights (--matmul q8_0) side by side with the stored bf16 weights (--matmul auto = oneDNN here, --matmul
# vector) and the PyTorch peer, on a quiet machine, 2 threads; then the kernels alone (JMH), resident memory and the
# load time. Output: stdout (the logs: measure-q8.log, measure-q8-final.log). Checkpoint: see measure-onednn.sh (/tmp/qwen05-bf16).
cd "$(dirname "$0")/../.."
./specrej --version > /dev/null || exit 1
export SPECREJ_NO_REBUILD=1
G=/tmp/qwen05-bf16
PY=/usr/bin/python3; PEERS=/work/shared/peers
log() { echo "### $* (load $(cut -d' ' -f1 /proc/loadavg), $(date +%T))"; }
for b in q8_0 auto vector; do
  log "specrej --matmul $b bench n=1,4,16,64"; ./specrej bench --matmul $b --model $G --n 1,4,16,64 --prompt-len 128 --new-tokens 64 --threads 2 --runs 2 --json
done
for n in 1 4; do
  log "torch bf16 n=$n"; $PY $PEERS/torch_generate.py --model $G --n $n --prompt-len 128 --new-tokens 64 --threads 2 --dtype bf16 2>&1 | tail -1
done
for b in q8_0 auto vector; do
  log "max RSS and wall, --matmul $b, generate n=4 (file $(stat -c %s $G/model.safetensors) bytes)"
  /usr/bin/time -f "max RSS %M KB, wall %e s" ./specrej generate --matmul $b --model $G --ids 1,2,3,4,5,6,7,8 --n 4 --max-new-tokens 8 --ignore-eos --json > /dev/null
done
log "JMH: the multiplies alone, Qwen2.5-0.5B shapes, bf16 weights vs their Q8_0 copies"
J=$(. scripts/jdk.sh; find_jdk25)
JAVA_HOME=$J mvn -o -q -pl engine,bench -am package -DskipTests > /dev/null 2>&1
"$J/bin/java" -jar bench/target/benchmarks.jar MatmulBench -p m=1,4,16,64 -p shape=gate_up,down,lm_head \
  -p dtype=BF16 -p threads=2 -p backend=vector,q8_0 -wi 2 -i 3 2>&1 | grep -E "^(Benchmark|MatmulBench)"
log "done"
