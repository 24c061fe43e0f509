#!/usr/bin/env bash
# Differential check of the emulator against Wine's http.sys: the scenarios of the team's
# httpapi-probe (../shared/tools/httpapi-probe beside the repository) are run twice with the same
# clients by the probe's own run-httpapi-scenarios.sh: once compiled with mingw against the real
# http.h and run under Wine, once compiled with gcc against the emulator's headers and run on Linux.
# The per-scenario summaries are then compared line by line.
# Usage: emulator/differential/run.sh [--install] [OUTDIR]   (root: the probe uses a private
# network namespace; --install gets Wine and mingw from Debian, about 1.2 GB). Not part of CI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PROBE=$(cd "$ROOT/.." && pwd)/shared/tools/httpapi-probe
[ -d "$PROBE" ] || { echo "the team's httpapi-probe is not at $PROBE (../shared beside the repository)"; exit 2; }
if [ "${1:-}" = "--install" ]; then
  shift
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev wine64 wine curl python3 bc
fi
OUT=${1:-$ROOT/emulator/target/differential}
rm -rf "$OUT"; mkdir -p "$OUT/shims"

# The emulator and the probe built against it.
make -s -C "$ROOT/emulator/src/main/c" OUT="$OUT/lib" >/dev/null
gcc -O1 -w -fshort-wchar -I "$HERE/compat" -I "$ROOT/emulator/src/main/c/include" -include probe_compat.h \
    -o "$OUT/httpsrv-emu" "$PROBE/httpsrv.c" -L"$OUT/lib" -lhttpapi -Wl,-rpath,"$OUT/lib" -ldl -pthread

# Shims so the probe's script drives the Linux binary: "wine X.exe ARGS" runs it, mingw is not needed.
cat > "$OUT/shims/wine" <<SH
#!/bin/sh
shift
exec "$OUT/httpsrv-emu" "\$@"
SH
printf '#!/bin/sh\nexit 0\n' > "$OUT/shims/wineserver"
printf '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && touch "$2"; shift; done\n' > "$OUT/shims/x86_64-w64-mingw32-gcc"
chmod +x "$OUT/shims/"*

PATH="$OUT/shims:$PATH" bash "$PROBE/run-httpapi-scenarios.sh" "$OUT/emulator" > "$OUT/emulator.log" 2>&1 || true
if command -v wine >/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null; then
  bash "$PROBE/run-httpapi-scenarios.sh" "$OUT/wine" > "$OUT/wine.log" 2>&1 || true
  WINE_SUMMARY=$OUT/wine/summary.txt
else
  echo "Wine or mingw missing (use --install): comparing with the probe's recorded results-wine-8.0.txt"
  WINE_SUMMARY=$PROBE/results-wine-8.0.txt
fi

# Normalise what differs by nature (ids, ports, addresses, timings, dates), then compare.
norm() {
  sed -E 's/(ConnectionId|RequestId|RawConnectionId)=0x[0-9a-fA-F]+/\1=ID/g; s/(ov|pSslInfo)=[^ ]+/\1=PTR/g;
          s/-> (0x)?[0-9a-fA-F]{8,}$/-> HANDLE/; s/= (0x)?[0-9a-fA-F]{8,}$/= PTR/; s/\(nil\)|0000000000000000/NULL/g;
          s/port=[0-9]+/port=N/g; s/localhost:[0-9]+/localhost:PORT/g; s/start-to-listening: .*/start-to-listening: T/;
          s/Date: .*/Date: D/; s/(partial buffer)=0x[0-9a-fA-F]+/\1=ID/; s/\r$//' "$1" | grep -v -E '^(fixme|wine:|client rc=)'
}
norm "$WINE_SUMMARY" > "$OUT/wine.norm"
norm "$OUT/emulator/summary.txt" > "$OUT/emulator.norm"
diff -u --label wine "$OUT/wine.norm" --label emulator "$OUT/emulator.norm" > "$OUT/diff.txt" || true
echo "scenarios: $(grep -c '^===' "$OUT/emulator.norm")   differing lines: $(grep -c '^[-+][^-+]' "$OUT/diff.txt" || true)"
echo "diff: $OUT/diff.txt"
