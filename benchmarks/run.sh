#!/usr/bin/env bash
# Builds the benchmarks module (and what it depends on) and runs every benchmark:
# sanity pass, stampede, heap-per-entry and many-instances (Redis) harnesses, then JMH
# for threads 1 and 2, avgt and thrpt, with -prof gc. Arguments go to JMH, e.g.
#   benchmarks/run.sh -f 1 -wi 3 -w 1s -i 5 -r 1s
#   benchmarks/run.sh -f 1 -wi 3 -w 1s -i 5 -r 1s 'HitBenchmarks.cached.*'
#   JAVA_OPTS=-Dbench.harness=redis benchmarks/run.sh -f 1 -wi 5 -w 1s -i 5 -r 1s 'RedisBenchmarks|HitBenchmarks.cachedKeyId$'
# JVM options for the driver go in JAVA_OPTS (e.g. JAVA_OPTS=-Dbench.harness=false).
# Exits non-zero if any variant fails the sanity pass or any benchmark fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -pl benchmarks -am -DskipTests ${BENCH_MAVEN_ARGS:-}
classpath="benchmarks/target/classes:$(cat benchmarks/target/benchmark.classpath)"
exec java ${JAVA_OPTS:-} -cp "$classpath" dev.cached.benchmarks.BenchmarkMain "$@"
