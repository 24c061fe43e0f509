/*
 * fuzz_parse: libFuzzer target for what the emulator parses from the network: the request head
 * parser, the chunked body decoder and the path cooker (percent-decoding, UTF-8, dot segments).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_head h;
    int rc = emu_parse_head((const char *)data, size, &h);
    if (rc == EMU_PARSE_OK) {
        /* every pointer of a parsed head lies inside the input */
        if (h.head_len > size || h.target < (const char *)data || h.target + h.target_len > (const char *)data + size)
            abort();
        for (size_t i = 0; i < h.nhdr; i++)
            if (h.hdr[i].value + h.hdr[i].value_len > (const char *)data + size) abort();
        char *cooked = malloc(h.target_len + 2);
        const char *q = memchr(h.target, '?', h.target_len);
        size_t plen = q ? (size_t)(q - h.target) : h.target_len;
        if (h.target[0] == '/') {
            long n = emu_cook_path(h.target, plen, cooked);
            if (n > (long)plen + 1) abort();
            if (n >= 0) {
                WCHAR *w = malloc((size_t)(n + 1) * sizeof(WCHAR));
                emu_utf8_to_utf16(cooked, (size_t)n, w);
                free(w);
            }
        }
        free(cooked);
        /* the bytes after the head as a chunked body, fed in two pieces */
        emu_chunked d;
        memset(&d, 0, sizeof(d));
        char out[256];
        size_t off = h.head_len, consumed = 0, produced = 0;
        while (off < size) {
            size_t piece = (size - off) / 2 + 1;
            int c = emu_chunked_decode(&d, (const char *)data + off, piece, &consumed, out, sizeof(out), &produced);
            if (consumed > piece || produced > sizeof(out)) { fprintf(stderr, "consumed %zu piece %zu produced %zu\n", consumed, piece, produced); abort(); }
            if (c != EMU_CHUNK_MORE || (consumed == 0 && produced == 0)) break;
            off += consumed;
        }
    }
    return 0;
}
