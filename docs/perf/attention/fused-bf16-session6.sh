#!/bin/bash
# Session 6's A/B of the bf16 KV attention: widening each page block into a float scratch then running the float32
# kernels (commit 0b9… "KV cache in bfloat16", built into /tmp/classes-scratch) against kernels that widen every
# vector in registers (Bf16AttentionKernels, /tmp/classes-fused), alternated; the f32 rows are the control (same code
# in both). Needs /tmp/qwen05-bf16 (docs/PERFORMANCE.md) and both builds:
#   git worktree add /tmp/scratchv <commit> && (cd /tmp/scratchv && mvn -q -o compile -pl engine)
#   cp -r /tmp/scratchv/engine/target/classes /tmp/classes-scratch; cp -r engine/target/classes /tmp/classes-fused
cd "$(dirname "$0")/../../.."
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
DEPS=$(cd engine && mvn -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout 2>/dev/null)
for v in scratch fused; do
  mkdir -p /tmp/as-$v
  $J/javac --add-modules jdk.incubator.vector -cp /tmp/classes-$v:$DEPS -d /tmp/as-$v \
      docs/perf/attention/AttentionStep.java 2>/dev/null
done
step() { # version kv context n threads [shared]
  $J/java --add-modules jdk.incubator.vector -XX:-TieredCompilation -Xmx20g -Dspecrej.threads=$5 -Dkv=$2 -Dreps=8 \
      -cp /tmp/as-$1:/tmp/classes-$1:$DEPS io.specrej.engine.model.AttentionStep /tmp/qwen05-bf16 $3 $4 $6 2>&1 \
      | grep -v WARN | sed "s/^/$1 t$5: /"
}
for round in 1 2; do
  for args in "2048 8 2 shared" "2048 64 2 shared" "2048 16 2" "2048 64 2" "512 64 2"; do
    step scratch bf16 $args
    step fused bf16 $args
    step fused f32 $args
  done
done
