/*
 * parse: the strict HTTP/1.x request-head parser and the chunked request-body decoder. Pure
 * functions over caller-owned bytes; nothing here allocates or knows about connections.
 */
#ifndef EMU_PARSE_H
#define EMU_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "include/http.h"

#define EMU_MAX_HEADERS 128
#define EMU_MAX_REQUEST_BYTES 16384  /* MaxRequestBytes: request line + headers (F-69) */
#define EMU_MAX_FIELD_LENGTH 16384   /* MaxFieldLength (F-69) */
#define EMU_MAX_URL_SEGMENT 260      /* UrlSegmentMaxLength (F-69) */

typedef struct emu_hdr {
    const char *name;
    size_t name_len;
    const char *value;   /* leading and trailing whitespace trimmed (F-38) */
    size_t value_len;
    int known;           /* request HTTP_HEADER_ID, or -1 for an unknown header */
} emu_hdr;

typedef struct emu_head {
    const char *method;
    size_t method_len;
    HTTP_VERB verb;           /* HttpVerbUnknown for a verb outside the table (F-38) */
    const char *target;       /* raw target as sent (F-33, F-37) */
    size_t target_len;
    USHORT major, minor;
    emu_hdr hdr[EMU_MAX_HEADERS];
    size_t nhdr;
    size_t head_len;          /* bytes up to and including the blank line */
    int chunked;
    int64_t content_length;   /* -1 when absent */
    int expect_continue;
    int conn_close;
    int conn_keep_alive;
    const char *host;         /* Host header value, NULL when absent */
    size_t host_len;
} emu_head;

enum { EMU_PARSE_OK = 0, EMU_PARSE_INCOMPLETE = 1 };

/* Parses one request head from buf. Returns EMU_PARSE_OK, EMU_PARSE_INCOMPLETE, or the HTTP status
 * HTTP.sys answers by itself (400, 501, 505) when the head is malformed or over a limit. */
int emu_parse_head(const char *buf, size_t len, emu_head *h);

/* Does the comma-separated list value contain token lit (case-insensitive)? */
int emu_list_has(const char *v, size_t len, const char *lit);

/* Request known-header index of a header name, or -1 (F-4). */
int emu_known_request_header(const char *name, size_t len);
/* Canonical name of a response known header (0..29), or NULL. */
const char *emu_known_response_header_name(int id);

typedef struct emu_chunked {
    int state;
    uint64_t remaining;  /* bytes left in the current chunk */
    size_t line_len;     /* length of the size or trailer line read so far, for the limit */
} emu_chunked;

enum { EMU_CHUNK_MORE = 0, EMU_CHUNK_DONE = 1, EMU_CHUNK_ERROR = -1 };

/* De-chunks (F-48): consumes from in, appends decoded bytes to out (at most out_cap). Returns
 * EMU_CHUNK_DONE after the last chunk and its trailers, EMU_CHUNK_ERROR on malformed framing. */
int emu_chunked_decode(emu_chunked *d, const char *in, size_t in_len, size_t *consumed,
                       char *out, size_t out_cap, size_t *produced);

/* Decodes %XX escapes of a path into UTF-8 bytes, resolves dot segments (F-40). Returns the decoded
 * length, or -1 for a malformed escape, invalid or overlong UTF-8. out must hold len + 1 bytes. */
long emu_cook_path(const char *path, size_t len, char *out);

/* UTF-8 to UTF-16LE; returns the number of WCHARs written (out holds at least len WCHARs). */
size_t emu_utf8_to_utf16(const char *in, size_t len, WCHAR *out);

#endif
