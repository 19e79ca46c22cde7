#!/bin/bash
# Session 6: attention alone with a float32 and a bfloat16 KV cache (AttentionStep -Dkv=bf16), Qwen2.5-0.5B config,
# alternated, as logged in kv-bf16-session6.log. Needs /tmp/qwen05-bf16 (docs/PERFORMANCE.md) and a compiled engine
# (mvn -q -o compile -pl engine). Usage: docs/perf/attention/kv-bf16-session6.sh
cd "$(dirname "$0")/../../.."
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
DEPS=$(cd engine && mvn -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout 2>/dev/null)
mkdir -p /tmp/attention-step
$J/javac --add-modules jdk.incubator.vector -cp engine/target/classes:$DEPS -d /tmp/attention-step \
    docs/perf/attention/AttentionStep.java 2>/dev/null
step() { # kv context n threads [shared]
  $J/java --add-modules jdk.incubator.vector -XX:-TieredCompilation -Xmx20g -Dspecrej.threads=$4 -Dkv=$1 -Dreps=10 \
      -cp /tmp/attention-step:engine/target/classes:$DEPS io.specrej.engine.model.AttentionStep /tmp/qwen05-bf16 \
      $2 $3 $5 2>&1 | grep -v WARN | sed "s/^/t$4: /"
}
for round in 1 2; do
  for args in "2048 8 2 shared" "2048 64 2 shared" "2048 8 2" "2048 16 2" "2048 64 2" "512 64 2"; do
    step f32 $args
    step bf16 $args
  done
done
