#!/bin/bash
# Session 7, final code (commit e4ddf9e: prompt lengths padded to 64 positions for the products): the prompt copy
# against the float32 pages after a 2,032-token prompt. First block: n = 8 and 64, 8 steps, median of 2 (the first
# part of measure-prefix-gemm-final.log); second block: n = 8, 16 steps, median of 3, alternated twice (its second
# part; 8-step runs at n = 8 are too short to separate the step rates from the noise). Needs /tmp/qwen05-bf16.
cd "$(dirname "$0")/../.."
./specrej --version > /dev/null
for n in 8 64; do for opt in "" "-Dspecrej.attention.prefixGemmFrom=off"; do
  echo "== n=$n prompt 2032 '$opt'"
  SPECREJ_NO_REBUILD=1 SPECREJ_JAVA_OPTS="$opt" ./specrej bench --model /tmp/qwen05-bf16 --n $n --prompt-len 2032 \
      --new-tokens 8 --runs 2 --json 2>&1 | grep '^{'
done; done
for r in 1 2; do for opt in "" "-Dspecrej.attention.prefixGemmFrom=off"; do
  echo "== n=8 prompt 2032, 16 steps, 3 runs '$opt'"
  SPECREJ_NO_REBUILD=1 SPECREJ_JAVA_OPTS="$opt" ./specrej bench --model /tmp/qwen05-bf16 --n 8 --prompt-len 2032 \
      --new-tokens 16 --runs 3 --json 2>&1 | grep '^{'
done; done
