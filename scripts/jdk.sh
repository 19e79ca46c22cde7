# Sourced by the launcher, run-tests and .ci/run: sets JAVA_HOME to a JDK >= 25 or explains in one line.
# Order: $JAVA_HOME, `java` on PATH, then the newest JDK under /usr/lib/jvm.

java_major() { # prints the feature version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}

find_jdk25() {
  local candidate major found=""
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    major=$(java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
    found="$found JAVA_HOME=$JAVA_HOME (Java $major)"
  fi
  if command -v java >/dev/null 2>&1; then
    candidate=$(readlink -f "$(command -v java)")
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ] && [ -x "$(dirname "$candidate")/javac" ]; then
      dirname "$(dirname "$candidate")"; return 0
    fi
    found="$found PATH java (Java $major)"
  fi
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate=${candidate%/}
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then echo "$candidate"; return 0; fi
  done
  echo "needs a JDK >= 25 (found:${found:- none}); install one (e.g. Temurin 25) or set JAVA_HOME" >&2
  return 1
}
