#!/usr/bin/env bash
# Benchmarks: the same servlet app behind Jetty's ServerConnector and behind HttpSysConnector on the
# emulator, and a raw C server on the same emulator, driven by wrk (another process) in one run.
# Writes docs/benchmarks.md and docs/benchmarks.png.   Usage: benchmarks/run.sh [--quick]
# SKIP_INSTALL=1 skips installing the other modules into the local repository (only this module is built).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
D=8; ROUNDS=3; IDLE=10000; DISC=1000; BURST=5000; WARM=20
[ $QUICK = 1 ] && { D=3; ROUNDS=1; IDLE=1000; DISC=200; BURST=500; WARM=2; }
# WARM: seconds of the first scenario's load, then a quarter of that of each other scenario's, before a JVM peer is
# measured, so its JIT compiler has compiled every request path first. With 10 s of the first load only, a JVM's
# rounds still grew 10-20% from the first to the third, and Jetty's JSSE and HTTP/2 ran their first round at half
# speed. The raw C server has nothing to compile: 2 s.
# ROUNDS: the peers of a comparison run at once and take turns, ROUNDS times per scenario, each round in another
# order; a peer's figure is its median round. Run one after the other, a drift of the machine's speed over the
# minutes between two peers' runs (10% is common on a shared host) went straight into their ratio.
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

declare -A PIDS PORTS
NEXT_PORT=18400
start_peer() { # name [cert]: on the next free port
  local port=$((NEXT_PORT += 1))
  case $1 in
    raw|raw-tls) "$OUT/rawserver" "$port" 2 ${2:+"$2"} > "$OUT/$1.log" 2>&1 & ;;
    *) java $JAVA_OPTS -cp "$CP" io.github.jettyhttpsys.bench.BenchServer "$1" "$port" ${2:+"$2"} > "$OUT/$1.log" 2>&1 & ;;
  esac
  PIDS[$1]=$!; PORTS[$1]=$port
  for _ in $(seq 1 100); do grep -q LISTENING "$OUT/$1.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "peer $1 did not start"; cat "$OUT/$1.log"; exit 1
}
stop_peers() { local p; for p in "${!PIDS[@]}"; do kill "${PIDS[$p]}" 2>/dev/null || true; wait "${PIDS[$p]}" 2>/dev/null || true; unset "PIDS[$p]"; done; }
trap 'stop_peers' EXIT

# One round of wrk against a peer: its figures as peer.scenario.round.key=value in $ROUNDS_RES.
ROUNDS_RES=$OUT/rounds.txt; : > "$ROUNDS_RES"
wrk_round() { # peer scenario round args...
  local peer=$1 sc=$2 round=$3; shift 3
  wrk --latency "$@" > "$OUT/$peer.$sc.$round.wrk" 2>&1 || true
  awk -v p="$peer.$sc.$round" '
    /Requests\/sec/ {print p ".rps=" $2}
    /^ +50%/ {print p ".p50=" $2}
    /^ +99%/ {print p ".p99=" $2}
    /requests in/ {print p ".requests=" $1}
    /Non-2xx|Socket errors/ {gsub(/^ +/, ""); print p ".errors=" $0}' "$OUT/$peer.$sc.$round.wrk" >> "$ROUNDS_RES"
}
# The median round of a peer's scenario into $RES: its requests/s and latencies; requests summed over the rounds
# (the CPU and allocation figures are totals over all rounds divided by them); any round's errors.
median_round() { # peer scenario
  awk -F= -v p="$1.$2" '
    index($1, p ".") == 1 {
      k = substr($1, length(p) + 2); r = k; sub(/\..*/, "", r); f = substr(k, length(r) + 2)
      v[r, f] = $2; rounds[r] = 1
      if (f == "requests") total += $2
      if (f == "errors") errs = errs (errs == "" ? "" : "; ") "round " r ": " $2
    }
    END {
      n = 0; for (r in rounds) if ((r, "rps") in v) ids[++n] = r
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[ids[j], "rps"] + 0 < v[ids[i], "rps"] + 0) { t = ids[i]; ids[i] = ids[j]; ids[j] = t }
      if (n == 0) exit
      m = ids[int((n + 1) / 2)]
      print p ".rps=" v[m, "rps"]; print p ".rounds=" n
      list = ""; for (i = 1; i <= 99; i++) if ((i, "rps") in v) list = list (list == "" ? "" : " / ") int(v[i, "rps"] + 0.5)
      print p ".roundRps=" list
      if ((m, "p50") in v) print p ".p50=" v[m, "p50"]
      if ((m, "p99") in v) print p ".p99=" v[m, "p99"]
      if ((m, "mean") in v) print p ".mean=" v[m, "mean"]
      print p ".requests=" total
      if (errs != "") print p ".errors=" errs
    }' "$ROUNDS_RES" >> "$RES"
}
# The peers in round r's order: each round starts one peer further on.
turns() { # round peers...
  local r=$1; shift; local a=("$@") i
  for ((i = 0; i < ${#a[@]}; i++)); do echo "${a[$(( (i + r) % ${#a[@]} ))]}"; done
}

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
# Totals over a peer's rounds of a scenario: CPU (ns) of the process and of its emulator threads, Java
# allocation, API calls, requests that reached the application; the per-request figures divide by the
# requests of all rounds.
declare -A TOT
snap() { # peer -> "process_ns emulator_ns allocated apicalls apprequests" now
  if [ "${1%-*}" = raw ]; then echo "$(proc_cpu "${PIDS[$1]}") 0 0 0"; return; fi
  local port=${PORTS[$1]}
  curl -s "http://127.0.0.1:$port/stats" | awk '
    {v[$1] = $2} END {printf "%.0f %.0f %.0f %.0f %.0f\n", v["cpuprocess"], v["cpuemu"], v["allocated"], v["apicalls"], v["apprequests"]}'
}
measure() { # peer scenario round args... : one wrk round with the peer's counters before and after
  local peer=$1 sc=$2 b a i k
  read -r -a b < <(snap "$peer")
  wrk_round "$@"
  read -r -a a < <(snap "$peer")
  i=0
  for k in cpu emu alloc calls app; do
    # the /stats request that read the second snapshot reached the application and made API calls too
    local d=$(( ${a[$i]} - ${b[$i]} )); [ $k = app ] && d=$((d - 1)); [ $k = calls ] && d=$((d - 1))
    TOT[$peer.$sc.$k]=$(( ${TOT[$peer.$sc.$k]:-0} + d )); i=$((i + 1))
  done
}
per_request() { # peer scenario: the totals over the rounds, per request, into $RES
  local peer=$1 sc=$2 n
  n=$(awk -F= -v k="$peer.$sc.requests" '$1==k {print $2}' "$RES")
  [ -n "$n" ] && [ "$n" -gt 0 ] || return 0
  if [ $peer = jetty ]; then
    echo "$peer.$sc.cpuPerRequestUs=$(echo "scale=2; ${TOT[$peer.$sc.cpu]} / 1000 / $n" | bc)" >> "$RES"
  else
    echo "$peer.$sc.cpuPerRequestUs=$(echo "scale=2; (${TOT[$peer.$sc.cpu]} - ${TOT[$peer.$sc.emu]}) / 1000 / $n" | bc)" >> "$RES"
    echo "$peer.$sc.emuCpuPerRequestUs=$(echo "scale=2; ${TOT[$peer.$sc.emu]} / 1000 / $n" | bc)" >> "$RES"
  fi
}

PLAIN=(jetty httpsys raw)
warm_up() { # peer: every scenario's load, the first one longest
  local u=http://127.0.0.1:${PORTS[$1]} w=$WARM q=$((WARM / 4 > 1 ? WARM / 4 : 1))
  [ "${1%-*}" = raw ] && { w=2; q=1; }
  wrk -t2 -c50 -d${w}s "$u/hello" > /dev/null 2>&1 || true
  wrk -t2 -c50 -d${q}s -H "Connection: close" "$u/hello" > /dev/null 2>&1 || true
  wrk -t2 -c8 -d${q}s "$u/download" > /dev/null 2>&1 || true
  wrk -t2 -c8 -d${q}s -s "$OUT/upload.lua" "$u/upload" > /dev/null 2>&1 || true
  wrk -t2 -c50 -d${q}s "$u/cached" > /dev/null 2>&1 || true
}
for peer in "${PLAIN[@]}"; do start_peer $peer; warm_up $peer; done
scenario() { # scenario path wrk-args...
  local sc=$1 path=$2 r peer; shift 2
  for ((r = 1; r <= ROUNDS; r++)); do
    for peer in $(turns $r "${PLAIN[@]}"); do measure $peer $sc $r "$@" "http://127.0.0.1:${PORTS[$peer]}$path"; done
  done
  for peer in "${PLAIN[@]}"; do median_round $peer $sc; done
}
scenario s1 /hello -t2 -c50 -d${D}s
for peer in "${PLAIN[@]}"; do
  per_request $peer s1
  n=$(awk -F= -v k="$peer.s1.requests" '$1==k {print $2}' "$RES")
  [ $peer != raw ] && echo "$peer.s1.allocatedBytesPerRequest=$(( ${TOT[$peer.s1.alloc]} / n ))" >> "$RES"
  [ $peer = httpsys ] && echo "httpsys.s1.nativeCallsPerRequest=$(echo "scale=2; ${TOT[httpsys.s1.calls]} / $n" | bc)" >> "$RES"
done
scenario s2 /hello -t2 -c50 -d${D}s -H "Connection: close"
scenario s3 /download -t2 -c8 -d${D}s
scenario s4 /upload -t2 -c8 -d${D}s -s "$OUT/upload.lua"
# a cacheable GET: HTTP.sys may answer from its response cache without the application seeing the request
scenario s7 /cached -t2 -c50 -d${D}s
for peer in jetty httpsys; do echo "$peer.s7.appRequests=${TOT[$peer.s7.app]}" >> "$RES"; done
for peer in jetty httpsys; do
  W=30; [ $peer = jetty ] && W=5   # ServerConnector does not see disconnects of parked requests
  PORT=${PORTS[$peer]}
  java -Dwait.seconds=$W -cp "$CP" io.github.jettyhttpsys.bench.LoadClient idle $IDLE $PORT | sed "s/^/$peer./" >> "$RES" || echo "$peer.idle.failed=1" >> "$RES"
  java -Dwait.seconds=$W -cp "$CP" io.github.jettyhttpsys.bench.LoadClient disconnect $DISC $PORT | sed "s/^/$peer./" >> "$RES" || echo "$peer.disconnect.failed=1" >> "$RES"
  java -Dwait.seconds=$W -cp "$CP" io.github.jettyhttpsys.bench.LoadClient burst $BURST $PORT | sed "s/^/$peer./" >> "$RES" || echo "$peer.burst.failed=1" >> "$RES"
done
stop_peers
# 8. keep-alive GET over TLS: Jetty's own TLS (SslConnectionFactory) against TLS done by HTTP.sys
# (the emulator's OpenSSL), the same certificate; the raw C server over the same TLS is the ceiling.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout "$OUT/tls.key" -out "$OUT/tls.crt" 2>/dev/null
cat "$OUT/tls.crt" "$OUT/tls.key" > "$OUT/tls.pem"
openssl pkcs12 -export -in "$OUT/tls.crt" -inkey "$OUT/tls.key" -out "$OUT/tls.p12" -passout pass:bench
TLS=(jetty-tls httpsys-tls raw-tls)
for peer in "${TLS[@]}"; do
  if [ $peer = jetty-tls ]; then start_peer $peer "$OUT/tls.p12"; else start_peer $peer "$OUT/tls.pem"; fi
  w=$WARM; [ $peer = raw-tls ] && w=2
  wrk -t2 -c50 -d${w}s "https://127.0.0.1:${PORTS[$peer]}/hello" > /dev/null 2>&1 || true   # warm-up
done
for ((r = 1; r <= ROUNDS; r++)); do
  for peer in $(turns $r "${TLS[@]}"); do wrk_round $peer s5 $r -t2 -c50 -d${D}s "https://127.0.0.1:${PORTS[$peer]}/hello"; done
done
for peer in "${TLS[@]}"; do median_round $peer s5; done
stop_peers
# 9. small GET over HTTP/2 (h2load: 10 connections, 10 streams each): Jetty's own HTTP/2 server
# against HTTP/2 done by HTTP.sys (the emulator's nghttp2), the same certificate; raw C the ceiling.
h2_round() { # name round url
  local n=$((D * 20000))
  h2load -n "$n" -c 10 -m 10 -t 2 "$3" > "$OUT/$1.s6.$2.h2load" 2>&1 || true
  awk -v p="$1.s6.$2" '
    /^finished in/ {gsub(/,/, ""); print p ".rps=" $4}
    /^requests:/ {print p ".requests=" $2; if ($10 + $12 > 0) print p ".errors=" $10 " failed, " $12 " errored"}
    /^time for request:/ {print p ".mean=" $6}' "$OUT/$1.s6.$2.h2load" >> "$ROUNDS_RES"
}
H2=(jetty-h2 httpsys-tls raw-tls)
h2_name() { case $1 in jetty-h2) echo jetty-h2 ;; httpsys-tls) echo httpsys-h2 ;; *) echo raw-h2 ;; esac; }
for peer in "${H2[@]}"; do
  if [ $peer = jetty-h2 ]; then start_peer $peer "$OUT/tls.p12"; else start_peer $peer "$OUT/tls.pem"; fi
  w=$WARM; [ $peer = raw-tls ] && w=2
  h2load -n $((w * 15000)) -c 10 -m 10 -t 2 "https://127.0.0.1:${PORTS[$peer]}/hello" > /dev/null 2>&1 || true   # warm-up
done
for ((r = 1; r <= ROUNDS; r++)); do
  for peer in $(turns $r "${H2[@]}"); do h2_round $(h2_name $peer) $r "https://127.0.0.1:${PORTS[$peer]}/hello"; done
done
for peer in "${H2[@]}"; do median_round $(h2_name $peer) s6; done
stop_peers
trap - EXIT
{
  echo "meta.date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "meta.cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
  echo "meta.memory=$(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "meta.java=$(java -version 2>&1 | head -1)"
  echo "meta.wrk=$(wrk -v 2>&1 | head -1 | cut -c1-40)"
  echo "meta.h2load=$(h2load --version 2>&1 | head -1)"
  echo "meta.mode=$([ $QUICK = 1 ] && echo quick || echo full) (rounds per peer and scenario: ${ROUNDS} of ${D}s, the peers taking turns; each JVM peer warmed up for ${WARM}s of the first load and $((WARM / 4 > 1 ? WARM / 4 : 1))s of each other first)"
} >> "$RES"
java -cp "$CP" io.github.jettyhttpsys.bench.Report "$RES" docs/benchmarks.md docs/benchmarks.png
echo "wrote docs/benchmarks.md and docs/benchmarks.png"
