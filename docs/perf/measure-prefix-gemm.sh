#!/bin/bash
# Session 7: attention over a long shared prompt with the prompt's keys and values copied to bf16 and multiplied through
# oneDNN (PrefixGemms; the default for prompts of >= 1,024 tokens under --matmul auto) against the float32 page
# kernels (-Dspecrej.attention.prefixGemmFrom=off), alternated, as logged in measure-prefix-gemm.log. Needs
# /tmp/qwen05-bf16 (docs/PERFORMANCE.md, "Checkpoints") and a build (./specrej --version builds one).
cd "$(dirname "$0")/../.."
run() { # label java-opts n prompt-len
  echo "== $1 n=$3 prompt $4"
  SPECREJ_NO_REBUILD=1 SPECREJ_JAVA_OPTS="$2" ./specrej bench --model /tmp/qwen05-bf16 --n "$3" --prompt-len "$4" \
      --new-tokens 8 --runs 2 --json 2>&1 | grep '^{'
}
for round in 1 2; do
  for n in 8 64; do
    run prefix-gemm "" $n 2048
    run f32-pages "-Dspecrej.attention.prefixGemmFrom=off" $n 2048
  done
done
run prefix-gemm "" 8 1024
run f32-pages "-Dspecrej.attention.prefixGemmFrom=off" 8 1024
