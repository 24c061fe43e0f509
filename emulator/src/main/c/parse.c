/*
 * parse: strict HTTP/1.x request-head parsing and chunked-body decoding, as HTTP.sys does before
 * the application sees a request (F-40, F-48, F-68, F-69, F-91).
 */
#include "parse.h"

#include <string.h>
#include <strings.h>

static const char *const k_verbs[] = {
    NULL, NULL, NULL, "OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT", "TRACK",
    "MOVE", "COPY", "PROPFIND", "PROPPATCH", "MKCOL", "LOCK", "UNLOCK", "SEARCH"};

static const char *const k_request_headers[HttpHeaderRequestMaximum] = {
    "Cache-Control", "Connection", "Date", "Keep-Alive", "Pragma", "Trailer", "Transfer-Encoding",
    "Upgrade", "Via", "Warning", "Allow", "Content-Length", "Content-Type", "Content-Encoding",
    "Content-Language", "Content-Location", "Content-MD5", "Content-Range", "Expires", "Last-Modified",
    "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization", "Cookie",
    "Expect", "From", "Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
    "If-Unmodified-Since", "Max-Forwards", "Proxy-Authorization", "Referer", "Range", "TE",
    "Translate", "User-Agent"};

static const char *const k_response_headers[HttpHeaderResponseMaximum] = {
    "Cache-Control", "Connection", "Date", "Keep-Alive", "Pragma", "Trailer", "Transfer-Encoding",
    "Upgrade", "Via", "Warning", "Allow", "Content-Length", "Content-Type", "Content-Encoding",
    "Content-Language", "Content-Location", "Content-MD5", "Content-Range", "Expires", "Last-Modified",
    "Accept-Ranges", "Age", "ETag", "Location", "Proxy-Authenticate", "Retry-After", "Server",
    "Set-Cookie", "Vary", "WWW-Authenticate"};

int emu_known_request_header(const char *name, size_t len)
{
    for (int i = 0; i < HttpHeaderRequestMaximum; i++) {
        if (strlen(k_request_headers[i]) == len && strncasecmp(k_request_headers[i], name, len) == 0)
            return i;
    }
    return -1;
}

const char *emu_known_response_header_name(int id)
{
    return (id >= 0 && id < HttpHeaderResponseMaximum) ? k_response_headers[id] : NULL;
}

static int is_tchar(unsigned char c)
{
    if (c >= '0' && c <= '9') return 1;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int eq_token(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

int emu_list_has(const char *v, size_t len, const char *lit)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t s = i;
        while (i < len && v[i] != ',') i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > s && eq_token(v + s, e - s, lit)) return 1;
    }
    return 0;
}

static const char *find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++) {
        if (p[0] == '\r' && p[1] == '\n') return p;
        if (p[0] == '\n' || (p[0] == '\r' && p[1] != '\n')) return NULL; /* bare LF/CR: malformed */
    }
    return end; /* not found yet */
}

/* F-196: Host must be host[:port]: a reg-name or a bracketed IP literal, a port of 1..5 digits up to
 * 65535. Spaces, userinfo ('@'), an unbalanced '[' or a port out of range are HTTP.sys's own 400. */
static int valid_host(const char *s, size_t len)
{
    if (len == 0) return 1; /* an empty Host is allowed; the local address is used (F-35) */
    size_t i = 0;
    if (s[0] == '[') {
        for (i = 1; i < len && s[i] != ']'; i++)
            if (!((s[i] >= '0' && s[i] <= '9') || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f') || s[i] == ':' ||
                  s[i] == '.'))
                return 0;
        if (i == len || i == 1) return 0;
        i++;
    } else {
        for (; i < len && s[i] != ':'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || strchr("-._~!$&'()*+,;=%", c)))
                return 0;
        }
        if (i == 0) return 0;
    }
    if (i == len) return 1;
    if (s[i] != ':') return 0;
    size_t digits = len - i - 1;
    if (digits == 0 || digits > 5) return 0;
    long port = 0;
    for (size_t k = i + 1; k < len; k++) {
        if (s[k] < '0' || s[k] > '9') return 0;
        port = port * 10 + (s[k] - '0');
    }
    return port <= 65535;
}

int emu_parse_head(const char *buf, size_t len, emu_head *h)
{
    memset(h, 0, sizeof(*h));
    h->content_length = -1;
    const char *end = buf + len;
    const char *p = buf;

    /* Tolerate empty lines before the request line (RFC 9112 §2.2). */
    while (p + 1 < end && p[0] == '\r' && p[1] == '\n') p += 2;

    const char *eol = find_crlf(p, end);
    if (eol == NULL) return 400;
    if (eol == end) return (size_t)(end - buf) > EMU_MAX_REQUEST_BYTES ? 400 : EMU_PARSE_INCOMPLETE;

    /* Request line: method SP target SP HTTP/x.y, single spaces (F-40: a raw space in the target is 400). */
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (sp1 == NULL || sp1 == p) return 400;
    for (const char *q = p; q < sp1; q++)
        if (!is_tchar((unsigned char)*q)) return 400;
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(eol - t));
    if (sp2 == NULL || sp2 == t) return 400;
    const char *ver = sp2 + 1;
    if (memchr(ver, ' ', (size_t)(eol - ver)) != NULL) return 400;
    for (const char *q = t; q < sp2; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q == 0x7f) return 400;
    if (eol - ver != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[6] != '.' || ver[5] < '0' || ver[5] > '9' ||
        ver[7] < '0' || ver[7] > '9')
        return 400;
    h->major = (USHORT)(ver[5] - '0');
    h->minor = (USHORT)(ver[7] - '0');
    if (h->major != 1) return 505;

    h->method = p;
    h->method_len = (size_t)(sp1 - p);
    h->verb = HttpVerbUnknown;
    for (int i = HttpVerbOPTIONS; i < HttpVerbMaximum; i++) {
        if (strlen(k_verbs[i]) == h->method_len && memcmp(k_verbs[i], p, h->method_len) == 0) {
            h->verb = (HTTP_VERB)i;
            break;
        }
    }
    h->target = t;
    h->target_len = (size_t)(sp2 - t);
    if (!(h->target[0] == '/' || (h->target_len == 1 && h->target[0] == '*') ||
          (h->target_len > 7 && strncasecmp(h->target, "http://", 7) == 0) ||
          (h->target_len > 8 && strncasecmp(h->target, "https://", 8) == 0)))
        return 400;

    p = eol + 2;
    for (;;) {
        eol = find_crlf(p, end);
        if (eol == NULL) return 400;
        if (eol == end) return (size_t)(end - buf) > EMU_MAX_REQUEST_BYTES ? 400 : EMU_PARSE_INCOMPLETE;
        if (eol == p) {
            p += 2;
            break;
        }
        if (*p == ' ' || *p == '\t') return 400; /* obs-fold is rejected */
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL || colon == p) return 400;
        for (const char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q)) return 400;
        if ((size_t)(eol - p) > EMU_MAX_FIELD_LENGTH) return 400;
        const char *v = colon + 1;
        const char *ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        for (const char *q = v; q < ve; q++) /* control bytes and DEL are malformed; 0x80.. pass (F-180) */
            if (((unsigned char)*q < 0x20 && *q != '\t') || (unsigned char)*q == 0x7f) return 400;
        if (h->nhdr == EMU_MAX_HEADERS) return 400;
        emu_hdr *hd = &h->hdr[h->nhdr++];
        hd->name = p;
        hd->name_len = (size_t)(colon - p);
        hd->value = v;
        hd->value_len = (size_t)(ve - v);
        hd->known = emu_known_request_header(p, hd->name_len);
        p = eol + 2;
    }
    h->head_len = (size_t)(p - buf);
    if (h->head_len > EMU_MAX_REQUEST_BYTES) return 400;

    int host_count = 0, cl_count = 0;
    for (size_t i = 0; i < h->nhdr; i++) {
        emu_hdr *hd = &h->hdr[i];
        switch (hd->known) {
        case HttpHeaderHost:
            host_count++;
            h->host = hd->value;
            h->host_len = hd->value_len;
            break;
        case HttpHeaderContentLength: {
            if (hd->value_len == 0 || hd->value_len > 18) return 400;
            int64_t n = 0;
            for (size_t k = 0; k < hd->value_len; k++) {
                if (hd->value[k] < '0' || hd->value[k] > '9') return 400;
                n = n * 10 + (hd->value[k] - '0');
            }
            if (cl_count++ > 0 && n != h->content_length) return 400;
            h->content_length = n;
            break;
        }
        case HttpHeaderTransferEncoding:
            if (!eq_token(hd->value, hd->value_len, "chunked")) return 501;
            if (h->chunked) return 400;
            h->chunked = 1;
            break;
        case HttpHeaderExpect:
            if (eq_token(hd->value, hd->value_len, "100-continue")) h->expect_continue = 1;
            break;
        case HttpHeaderConnection:
            if (emu_list_has(hd->value, hd->value_len, "close")) h->conn_close = 1;
            if (emu_list_has(hd->value, hd->value_len, "keep-alive")) h->conn_keep_alive = 1;
            break;
        default:
            break;
        }
    }
    if (h->chunked && h->content_length >= 0) return 400;
    if (h->minor >= 1 && host_count != 1) return 400;
    if (host_count > 1) return 400;
    if (h->host != NULL && !valid_host(h->host, h->host_len)) return 400; /* F-196 */

    /* UrlSegmentMaxLength (F-69): no path segment longer than 260 characters. */
    size_t seg = 0;
    for (size_t i = 0; i < h->target_len && h->target[i] != '?'; i++) {
        seg = h->target[i] == '/' ? 0 : seg + 1;
        if (seg > EMU_MAX_URL_SEGMENT) return 400;
    }
    return EMU_PARSE_OK;
}

enum { CH_SIZE, CH_SIZE_WS, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF, CH_DONE };

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

int emu_chunked_decode(emu_chunked *d, const char *in, size_t in_len, size_t *consumed,
                       char *out, size_t out_cap, size_t *produced)
{
    size_t i = 0, o = 0;
    *consumed = 0; /* also on error: callers must never see stale counts */
    *produced = 0;
    while (i < in_len && d->state != CH_DONE) {
        char c = in[i];
        switch (d->state) {
        case CH_SIZE: {
            int v = hexval(c);
            if (v >= 0) {
                if (d->line_len++ >= 15) return EMU_CHUNK_ERROR; /* size overflow */
                d->remaining = d->remaining * 16 + (uint64_t)v;
                i++;
            } else if (d->line_len == 0) {
                return EMU_CHUNK_ERROR;
            } else if (c == ';') {
                d->state = CH_EXT;
                i++;
            } else if (c == ' ' || c == '\t') {
                d->state = CH_SIZE_WS; /* whitespace may only come before a ';' extension */
                i++;
            } else if (c == '\r') {
                d->state = CH_SIZE_LF;
                i++;
            } else {
                return EMU_CHUNK_ERROR;
            }
            break;
        }
        case CH_SIZE_WS:
            if (c == ';') d->state = CH_EXT;
            else if ((c != ' ' && c != '\t') || ++d->line_len > 4096) return EMU_CHUNK_ERROR; /* "5 junk" */
            i++;
            break;
        case CH_EXT:
            if (c == '\r') d->state = CH_SIZE_LF;
            else if (c == '\n' || ++d->line_len > 4096) return EMU_CHUNK_ERROR;
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n') return EMU_CHUNK_ERROR;
            i++;
            d->line_len = 0;
            d->state = d->remaining == 0 ? CH_TRAILER : CH_DATA;
            break;
        case CH_DATA: {
            size_t n = in_len - i;
            if (n > d->remaining) n = (size_t)d->remaining;
            if (n > out_cap - o) n = out_cap - o;
            if (n == 0) goto out; /* output full */
            memcpy(out + o, in + i, n);
            o += n;
            i += n;
            d->remaining -= n;
            if (d->remaining == 0) d->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c != '\r') return EMU_CHUNK_ERROR;
            d->state = CH_DATA_LF;
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n') return EMU_CHUNK_ERROR;
            d->state = CH_SIZE;
            d->line_len = 0;
            i++;
            break;
        case CH_TRAILER: /* trailer lines are read and dropped; an empty line ends the body */
            if (c == '\r') {
                d->state = CH_TRAILER_LF;
            } else if (c == '\n' || ++d->line_len > EMU_MAX_FIELD_LENGTH) {
                return EMU_CHUNK_ERROR;
            }
            i++;
            break;
        case CH_TRAILER_LF:
            if (c != '\n') return EMU_CHUNK_ERROR;
            i++;
            if (d->line_len == 0) d->state = CH_DONE;
            else { d->line_len = 0; d->state = CH_TRAILER; }
            break;
        default:
            return EMU_CHUNK_ERROR;
        }
    }
out:
    *consumed = i;
    *produced = o;
    return d->state == CH_DONE ? EMU_CHUNK_DONE : EMU_CHUNK_MORE;
}

/* Length of a valid UTF-8 sequence at s (shortest form, no surrogates), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    if (s[0] < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if ((s[0] & 0xe0) == 0xc0) { n = 2; cp = s[0] & 0x1fu; }
    else if ((s[0] & 0xf0) == 0xe0) { n = 3; cp = s[0] & 0x0fu; }
    else if ((s[0] & 0xf8) == 0xf0) { n = 4; cp = s[0] & 0x07u; }
    else return 0;
    if (n > len) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

long emu_cook_path(const char *path, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (path[i] == '%') {
            if (i + 2 >= len) return -1;
            int hi = hexval(path[i + 1]), lo = hexval(path[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = path[i];
        }
    }
    for (size_t i = 0; i < o;) {
        size_t n = utf8_seq((const unsigned char *)out + i, o - i);
        if (n == 0) return -1;
        i += n;
    }
    /* Dot segments (RFC 3986 §5.2.4) with a stack of segment starts; an ".." after "//" pops the
     * empty segment, so /base/call//../ball cooks to /base/call/ball (F-40). */
    if (o == 0 || out[0] != '/') return -1;
    size_t w = 0;       /* output length; out[0..w) is "/seg/seg..." without a trailing slash */
    int trailing = 0;
    for (size_t r = 1; r <= o;) {
        size_t e = r;
        while (e < o && out[e] != '/') e++;
        size_t seglen = e - r;
        int last = e >= o;
        if (seglen == 1 && out[r] == '.') {
            trailing = last;
        } else if (seglen == 2 && out[r] == '.' && out[r + 1] == '.') {
            while (w > 0 && out[w - 1 + 0] != '/') w--;
            if (w > 0) w--; /* drop the '/' that started the popped segment */
            trailing = last;
        } else {
            out[w++] = '/';
            memmove(out + w, out + r, seglen);
            w += seglen;
            trailing = 0;
        }
        r = e + 1;
    }
    if (w == 0 || trailing) out[w++] = '/';
    out[w] = 0;
    return (long)w;
}

size_t emu_utf8_to_utf16(const char *in, size_t len, WCHAR *out)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(s + i, len - i);
        uint32_t cp;
        if (n == 0) { cp = 0xfffd; n = 1; }
        else if (n == 1) cp = s[i];
        else if (n == 2) cp = ((s[i] & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
        else if (n == 3) cp = ((s[i] & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
        else cp = ((s[i] & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) | ((s[i + 2] & 0x3fu) << 6) | (s[i + 3] & 0x3fu);
        i += n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (WCHAR)(0xd800 + (cp >> 10));
            out[o++] = (WCHAR)(0xdc00 + (cp & 0x3ff));
        } else {
            out[o++] = (WCHAR)cp;
        }
    }
    return o;
}
