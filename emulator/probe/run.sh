#!/usr/bin/env bash
# Builds the Windows probe (windows-probe.c) against the emulator and runs it; the report goes to
# emulator/probe/report-emulator.txt. With --wine, also builds it with mingw-w64 against the real
# http.h and runs it under Wine (report-wine.txt). Windows itself: .github/workflows/windows.yml.
# Usage: emulator/probe/run.sh [--wine] [--port N] [--out DIR]
#   The emulator library is built into DIR/lib (default emulator/target/probe), never the default
#   output directory of the Maven build.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WINE=0 PORT=28351 OUT=$ROOT/emulator/target/probe
while [ $# -gt 0 ]; do
  case "$1" in
    --wine) WINE=1 ;;
    --port) PORT=$2; shift ;;
    --out) OUT=$2; shift ;;
    *) echo "usage: $0 [--wine] [--port N] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$OUT/lib" "$OUT/obj"
OUT=$(cd "$OUT" && pwd)

make -s -C "$ROOT/emulator/src/main/c" OUT="$OUT/lib" OBJDIR="$OUT/obj" >/dev/null
gcc -O1 -g -Wall -Wextra -Wno-unused-function -std=gnu11 -fshort-wchar \
    -I "$HERE" -I "$ROOT/emulator/src/main/c/include" \
    -o "$OUT/windows-probe" "$HERE/windows-probe.c" \
    -L"$OUT/lib" -lhttpapi -Wl,-rpath,"$OUT/lib" -pthread
timeout 90 "$OUT/windows-probe" "$PORT" > "$HERE/report-emulator.txt"
echo "emulator: $(grep -c . "$HERE/report-emulator.txt") lines -> emulator/probe/report-emulator.txt"

if [ "$WINE" = 1 ]; then
  if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    echo "--wine: wine or x86_64-w64-mingw32-gcc missing (apt-get install gcc-mingw-w64-x86-64 wine64 wine)" >&2
    exit 1
  fi
  x86_64-w64-mingw32-gcc -O1 -Wall -Wextra -Wno-unused-function -Wno-cast-function-type \
      -I "$HERE" -o "$OUT/windows-probe.exe" "$HERE/windows-probe.c" -lhttpapi -lws2_32
  export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$OUT/wineprefix}
  # Wine 8's http.sys stops delivering requests to the remaining queues once the process has closed
  # one queue, so under Wine every measurement runs in a process of its own; the set-up lines come
  # from the first run. Wine prints CRLF line ends; the report keeps LF.
  : > "$OUT/wine.raw"
  first=1
  for m in $(wine "$OUT/windows-probe.exe" list 2>/dev/null | tr -d '\r'); do
    timeout 60 wine "$OUT/windows-probe.exe" "$PORT" "$m" 2>/dev/null | tr -d '\r' > "$OUT/wine.one" || true
    if [ $first = 1 ]; then grep -v '^P99 ' "$OUT/wine.one" >> "$OUT/wine.raw"; first=0
    else grep -v -E '^(G191|P01|P99) ' "$OUT/wine.one" >> "$OUT/wine.raw"; fi
  done
  echo "P99 done within-60s=per-measurement" >> "$OUT/wine.raw"
  mv "$OUT/wine.raw" "$HERE/report-wine.txt"
  wineserver -k 2>/dev/null || true
  echo "wine: $(grep -c . "$HERE/report-wine.txt") lines -> emulator/probe/report-wine.txt"
  diff "$HERE/report-wine.txt" "$HERE/report-emulator.txt" > "$OUT/wine-vs-emulator.diff" || true
  echo "differing lines: $(grep -c '^[<>]' "$OUT/wine-vs-emulator.diff" || true)  ($OUT/wine-vs-emulator.diff)"
fi
