#!/usr/bin/env bash
# Fuzzes the emulator's request parser, chunked decoder and path cooker with libFuzzer + ASan/UBSan.
# Usage: emulator/fuzz/run.sh [seconds]   (default 300; installs clang from Debian if missing)
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_TO_RUN=${1:-300}
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
OUT=../target/fuzz; mkdir -p "$OUT/corpus"
cp -n corpus/* "$OUT/corpus/" 2>/dev/null || true
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I ../src/main/c \
  -o "$OUT/fuzz_parse" fuzz_parse.c ../src/main/c/parse.c
"$OUT/fuzz_parse" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 "$OUT/corpus"
