#!/bin/bash
# Session 7, after measure-prefix-gemm.sh: one and two sequences after a 2,048-token prompt (their products take 16
# rows where oneDNN's 16-row kernels give the 64-row ones' bits), and reward-model scoring after a long shared prompt
# (docs/perf/PrefixScoring.java: 16 forks x 64 tokens on the Skywork config, as ModelRewardScorer feeds them),
# each with the bf16 prompt copy (default) and with the float32 pages (-Dspecrej.attention.prefixGemmFrom=off),
# alternated. Logged in measure-prefix-gemm-small.log. Needs /tmp/qwen05-bf16 and /tmp/skywork-bf16.
cd "$(dirname "$0")/../.."
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
CP=$(ls app/target/specrej-app-*.jar | head -1):$(ls -d app/target/lib/* | tr '\n' ':')
mkdir -p /tmp/prefix-scoring && $J/javac -cp "$CP" -d /tmp/prefix-scoring docs/perf/PrefixScoring.java
for round in 1 2; do
  for opt in "" "-Dspecrej.attention.prefixGemmFrom=off"; do
    echo "== n 1,2 prompt 2048 '$opt'"
    SPECREJ_NO_REBUILD=1 SPECREJ_JAVA_OPTS="$opt" ./specrej bench --model /tmp/qwen05-bf16 --n 1,2 --prompt-len 2048 \
        --new-tokens 16 --runs 2 --json 2>&1 | grep '^{'
  done
  for opt in "" "-Dspecrej.attention.prefixGemmFrom=off"; do
    echo "== scoring '$opt'"
    $J/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:-TieredCompilation $opt \
        -cp /tmp/prefix-scoring:"$CP" PrefixScoring /tmp/skywork-bf16 2048 16 64 5 2>&1 | grep -v WARN
  done
done
