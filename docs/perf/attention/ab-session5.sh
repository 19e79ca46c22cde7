#!/bin/bash
# Session 5's A/B of the attention change (tokens through the pages in groups), as logged in
# attention-step-session5.log and bench-share-session5.log. Needs the checkpoint /tmp/qwen05-bf16 (docs/PERFORMANCE.md)
# and the code before the change built in a worktree:
#   git worktree add /tmp/base 7d574a1 && (cd /tmp/base && mvn -q -o package -DskipTests)
#   cp -r /tmp/base/engine/target/classes /tmp/classes-base; cp -r engine/target/classes /tmp/classes-new
# Usage: docs/perf/attention/ab-session5.sh step | bench
cd "$(dirname "$0")/../../.."
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
DEPS=$(cd engine && mvn -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout 2>/dev/null)
mkdir -p /tmp/attention-step
$J/javac --add-modules jdk.incubator.vector -cp engine/target/classes:$DEPS -d /tmp/attention-step \
    docs/perf/attention/AttentionStep.java 2>/dev/null
step() { # label classes context n threads [shared]
  $J/java --add-modules jdk.incubator.vector -XX:-TieredCompilation -Dspecrej.threads=$5 \
      -cp /tmp/attention-step:$2:$DEPS io.specrej.engine.model.AttentionStep /tmp/qwen05-bf16 $3 $4 $6 2>&1 \
      | grep -v WARN | sed "s/^/$1 t$5: /"
}
case "$1" in
step)
  for round in 1 2; do
    for args in "2048 8 1 shared" "2048 8 2 shared" "2048 64 1 shared" "2048 64 2 shared" "2048 8 2" "512 64 2 shared"; do
      step before /tmp/classes-base $args
      step after /tmp/classes-new $args
    done
  done
  step before /tmp/classes-base 2048 64 2
  step after /tmp/classes-new 2048 64 2
  ;;
bench)
  for round in 1 2; do
    for which in before after; do
      D=/tmp/base; [ $which = after ] && D=.
      for n in 8 64; do
        echo "# $which n=$n $(date +%H:%M:%S)"
        (cd $D && SPECREJ_NO_REBUILD=1 ./specrej bench --model /tmp/qwen05-bf16 --n $n --prompt-len 2032 \
            --new-tokens 16 --threads 2 --runs 1 --json 2>/dev/null | grep '^{')
      done
    done
  done
  ;;
*) echo "usage: $0 step|bench" >&2; exit 2 ;;
esac
