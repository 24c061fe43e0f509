#!/usr/bin/env bash
# Benchmarks: the same servlet app behind Jetty's ServerConnector and behind HttpSysConnector on the
# emulator, and a raw C server on the same emulator, driven by wrk (another process) in one run.
# Writes docs/benchmarks.md and docs/benchmarks.png.   Usage: benchmarks/run.sh [--quick]
# SKIP_INSTALL=1 skips installing the other modules into the local repository (only this module is built).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
D=10; IDLE=10000; DISC=1000; BURST=5000; WARM=10
[ $QUICK = 1 ] && { D=3; IDLE=1000; DISC=200; BURST=500; WARM=2; }
# WARM: seconds of the first scenario's own load before it is measured, on every peer, so a JVM is measured once
# its JIT compiler has compiled the request path (a second of it left the compiler busy for most of the run).
OUT=$ROOT/benchmarks/target/results; mkdir -p "$OUT"; RES=$OUT/results.txt; : > "$RES"

command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; }
command -v h2load >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nghttp2-client; }
[ "${SKIP_INSTALL:-0}" = 1 ] || mvn -B -ntp -q install -DskipTests
mvn -B -ntp -q -Pbench -pl benchmarks package
LIB=$ROOT/emulator/target/classes/linux-x86-64
gcc -O2 -Wall -Wextra -Werror -I emulator/src/main/c/include -o "$OUT/rawserver" benchmarks/src/main/c/rawserver.c -L"$LIB" -lhttpapi -Wl,-rpath,"$LIB" -pthread
# The peers run this checkout's connector and emulator (the jars the install above built, the same
# libhttpapi.so the raw C server links), not the copies in the local repository, which another build
# may replace while this runs.
CP=$ROOT/benchmarks/target/jetty-httpsys-benchmarks-0.1.0-SNAPSHOT.jar
for e in $(tr ':' ' ' < benchmarks/target/classpath.txt); do
  case $e in
    */io/github/jettyhttpsys/jetty-httpsys/*) own=$ROOT/connector/target/${e##*/} ;;
    */io/github/jettyhttpsys/jetty-httpsys-emulator/*) own=$ROOT/emulator/target/${e##*/} ;;
    *) own=$e ;;
  esac
  [ -f "$own" ] || own=$e
  CP=$CP:$own
done
ulimit -n 65536 || true
JAVA_OPTS="-Xms512m -Xmx2g -XX:+UseG1GC"
head -c 1048576 /dev/zero | tr '\0' 'u' > "$OUT/upload.bin"
cat > "$OUT/upload.lua" <<LUA
wrk.method = "POST"
local f = io.open("$OUT/upload.bin", "rb"); wrk.body = f:read("*all"); f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

PID=
start_peer() { # name port
  case $1 in
    raw|raw-tls) "$OUT/rawserver" "$2" 2 ${3:+"$3"} > "$OUT/$1.log" 2>&1 & ;;
    *) java $JAVA_OPTS -cp "$CP" io.github.jettyhttpsys.bench.BenchServer "$1" "$2" ${3:+"$3"} > "$OUT/$1.log" 2>&1 & ;;
  esac
  PID=$!
  for _ in $(seq 1 100); do grep -q LISTENING "$OUT/$1.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "peer $1 did not start"; cat "$OUT/$1.log"; exit 1
}
stop_peer() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap 'stop_peer' EXIT

wrk_run() { # peer scenario args...
  local peer=$1 sc=$2; shift 2
  wrk --latency "$@" > "$OUT/$peer.$sc.wrk" 2>&1 || true
  awk -v p="$peer.$sc" '
    /Requests\/sec/ {print p ".rps=" $2}
    /^ +50%/ {print p ".p50=" $2}
    /^ +99%/ {print p ".p99=" $2}
    /requests in/ {print p ".requests=" $1}
    /Non-2xx|Socket errors/ {gsub(/^ +/, ""); print p ".errors=" $0}' "$OUT/$peer.$sc.wrk" >> "$RES"
}

stat() { curl -s "http://127.0.0.1:$1/stats" | awk -v k="$2" '$1==k {print $2}'; }
# CPU (ns) of a process not serving /stats (the raw C server), as BenchServer counts it: the process from
# /proc/PID/stat, the emulator's threads (named httpemu*) from /proc/PID/task/*/stat; 100 clock ticks/s.
proc_cpu() { # pid -> "process_ns emulator_ns"
  local p e
  p=$(sed 's/.*) //' "/proc/$1/stat" | awk '{printf "%.0f\n", ($12 + $13) * 10000000}')
  e=$(cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{
      match($0, /^[^(]*\(.*\) /); comm = substr($0, index($0, "(") + 1, RLENGTH - index($0, "(") - 2)
      split(substr($0, RLENGTH + 1), f, " "); if (comm ~ /^httpemu/) t += f[12] + f[13]
    } END {printf "%.0f\n", t * 10000000}')
  echo "$p $e"
}
cpu_before() { # peer port
  if [ $1 = raw ]; then read -r cp0 ce0 < <(proc_cpu "$PID"); else cp0=$(stat $2 cpuprocess); ce0=$(stat $2 cpuemu); fi
}
cpu_after() { # peer port scenario: CPU per request (µs) of the peer's own code, and of the emulator in its process
  local cp1 ce1 n
  if [ $1 = raw ]; then read -r cp1 ce1 < <(proc_cpu "$PID"); else cp1=$(stat $2 cpuprocess); ce1=$(stat $2 cpuemu); fi
  n=$(awk -F= -v k="$1.$3.requests" '$1==k {print $2}' "$RES")
  [ -n "$n" ] && [ "$n" -gt 0 ] || return 0
  if [ $1 = jetty ]; then
    echo "$1.$3.cpuPerRequestUs=$(echo "scale=2; ($cp1 - $cp0) / 1000 / $n" | bc)" >> "$RES"
  else
    echo "$1.$3.cpuPerRequestUs=$(echo "scale=2; ($cp1 - $cp0 - ($ce1 - $ce0)) / 1000 / $n" | bc)" >> "$RES"
    echo "$1.$3.emuCpuPerRequestUs=$(echo "scale=2; ($ce1 - $ce0) / 1000 / $n" | bc)" >> "$RES"
  fi
}

PORT=18400
for peer in jetty httpsys raw; do
  PORT=$((PORT + 1)); start_peer $peer $PORT
  URL=http://127.0.0.1:$PORT
  wrk -t2 -c50 -d${WARM}s "$URL/hello" > /dev/null 2>&1 || true   # warm-up
  [ $peer = httpsys ] && c0=$(stat $PORT apicalls)
  [ $peer != raw ] && a0=$(stat $PORT allocated)
  cpu_before $peer $PORT
  wrk_run $peer s1 -t2 -c50 -d${D}s "$URL/hello"
  cpu_after $peer $PORT s1
  if [ $peer != raw ]; then
    a1=$(stat $PORT allocated)
    n=$(awk -F= -v k="$peer.s1.requests" '$1==k {print $2}' "$RES")
    echo "$peer.s1.allocatedBytesPerRequest=$(( (a1 - a0) / n ))" >> "$RES"
  fi
  if [ $peer = httpsys ]; then
    c1=$(stat $PORT apicalls)
    echo "httpsys.s1.nativeCallsPerRequest=$(echo "scale=2; ($c1 - $c0 - 1) / $n" | bc)" >> "$RES"
  fi
  wrk_run $peer s2 -t2 -c50 -d${D}s -H "Connection: close" "$URL/hello"
  wrk_run $peer s3 -t2 -c8 -d${D}s "$URL/download"
  wrk_run $peer s4 -t2 -c8 -d${D}s -s "$OUT/upload.lua" "$URL/upload"
  # a cacheable GET: HTTP.sys may answer from its response cache without the application seeing the request
  [ $peer != raw ] && q0=$(stat $PORT apprequests)
  wrk_run $peer s7 -t2 -c50 -d${D}s "$URL/cached"
  if [ $peer != raw ]; then
    q1=$(stat $PORT apprequests)
    echo "$peer.s7.appRequests=$((q1 - q0 - 1))" >> "$RES"   # less the /stats request that read q1
  fi
  if [ $peer != raw ]; then
    W=30; [ $peer = jetty ] && W=5   # ServerConnector does not see disconnects of parked requests
    java -Dwait.seconds=$W -cp "$CP" io.github.jettyhttpsys.bench.LoadClient idle $IDLE $PORT | sed "s/^/$peer./" >> "$RES" || echo "$peer.idle.failed=1" >> "$RES"
    java -Dwait.seconds=$W -cp "$CP" io.github.jettyhttpsys.bench.LoadClient disconnect $DISC $PORT | sed "s/^/$peer./" >> "$RES" || echo "$peer.disconnect.failed=1" >> "$RES"
    java -Dwait.seconds=$W -cp "$CP" io.github.jettyhttpsys.bench.LoadClient burst $BURST $PORT | sed "s/^/$peer./" >> "$RES" || echo "$peer.burst.failed=1" >> "$RES"
  fi
  stop_peer
done
# 7. keep-alive GET over TLS: Jetty's own TLS (SslConnectionFactory) against TLS done by HTTP.sys
# (the emulator's OpenSSL), the same certificate; the raw C server over the same TLS is the ceiling.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout "$OUT/tls.key" -out "$OUT/tls.crt" 2>/dev/null
cat "$OUT/tls.crt" "$OUT/tls.key" > "$OUT/tls.pem"
openssl pkcs12 -export -in "$OUT/tls.crt" -inkey "$OUT/tls.key" -out "$OUT/tls.p12" -passout pass:bench
for peer in jetty-tls httpsys-tls raw-tls; do
  PORT=$((PORT + 1))
  if [ $peer = jetty-tls ]; then start_peer $peer $PORT "$OUT/tls.p12"; else start_peer $peer $PORT "$OUT/tls.pem"; fi
  wrk -t2 -c50 -d${WARM}s "https://127.0.0.1:$PORT/hello" > /dev/null 2>&1 || true   # warm-up
  wrk_run $peer s5 -t2 -c50 -d${D}s "https://127.0.0.1:$PORT/hello"
  stop_peer
done
# 9. small GET over HTTP/2 (h2load: 10 connections, 10 streams each): Jetty's own HTTP/2 server
# against HTTP/2 done by HTTP.sys (the emulator's nghttp2), the same certificate; raw C the ceiling.
h2_run() { # peer url
  local n=$((D * 20000))
  h2load -n "$n" -c 10 -m 10 -t 2 "$2" > "$OUT/$1.s6.h2load" 2>&1 || true
  awk -v p="$1.s6" '
    /^finished in/ {gsub(/,/, ""); print p ".rps=" $4}
    /^requests:/ {print p ".requests=" $2; print p ".errors=" $10 " failed, " $12 " errored"}
    /^time for request:/ {print p ".mean=" $6}' "$OUT/$1.s6.h2load" >> "$RES"
}
for peer in jetty-h2 httpsys-tls raw-tls; do
  PORT=$((PORT + 1))
  if [ $peer = jetty-h2 ]; then start_peer $peer $PORT "$OUT/tls.p12"; else start_peer $peer $PORT "$OUT/tls.pem"; fi
  h2load -n $((WARM * 15000)) -c 10 -m 10 -t 2 "https://127.0.0.1:$PORT/hello" > /dev/null 2>&1 || true   # warm-up
  h2_run $(case $peer in jetty-h2) echo jetty-h2 ;; httpsys-tls) echo httpsys-h2 ;; *) echo raw-h2 ;; esac) "https://127.0.0.1:$PORT/hello"
  stop_peer
done
trap - EXIT
{
  echo "meta.date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "meta.cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
  echo "meta.memory=$(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "meta.java=$(java -version 2>&1 | head -1)"
  echo "meta.wrk=$(wrk -v 2>&1 | head -1 | cut -c1-40)"
  echo "meta.h2load=$(h2load --version 2>&1 | head -1)"
  echo "meta.mode=$([ $QUICK = 1 ] && echo quick || echo full) (duration ${D}s per wrk run, each peer warmed up for ${WARM}s first)"
} >> "$RES"
java -cp "$CP" io.github.jettyhttpsys.bench.Report "$RES" docs/benchmarks.md docs/benchmarks.png
echo "wrote docs/benchmarks.md and docs/benchmarks.png"
