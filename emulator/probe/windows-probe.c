/*
 * windows-probe: measures, against whatever implements the HTTP Server API, the HTTP.sys facts the
 * connector relies on but that were only inferred or unknown (docs/open-questions.md, chapter G of
 * the behaviour reference). It is its own client: raw bytes on loopback sockets to the prefixes it
 * registered, and it prints one line per measurement:
 *
 *     ID key=value key=value ...
 *
 * Stable IDs; raw bytes escaped (\r \n \s for space, \\ , \xHH); Date values, ports and ids replaced
 * by placeholders; durations only as buckets; so two runs on one system diff clean and the report
 * of the emulator diffs line by line against the report of Windows.
 *
 * Build on Windows:  x86_64-w64-mingw32-gcc -O1 -o windows-probe.exe windows-probe.c -lhttpapi -lws2_32
 * Build on Linux:    see run.sh (gcc against the emulator's include/ and libhttpapi.so)
 * Run:               windows-probe list            (the measurement names)
 *                    windows-probe [PORT [NAMES]]  (uses PORT and PORT+1; default 28351; on Windows
 *                    as administrator or with URL ACLs for both ports; NAMES: a comma list of
 *                    measurement names from the table before main, to run only those)
 * Every wait is bounded (sockets 3 s, completions at most 5 s); the whole run takes under a minute.
 */
#include "probe_platform.h"

#define PROBE_TIMEOUT 0xFFFF0001u /* our own: no completion within the wait */
#define NOCOMP 0xFFFF0003u        /* our own: a completion that never came (reported, not an error) */

static unsigned short port1 = 28351, port2;
static char hosthdr[64];           /* "localhost:PORT" */
static HANDLE iocp;
static HTTP_SERVER_SESSION_ID sess;

/* ---------------------------------------------------------------- report ---------------------- */

static void rep(const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", id);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static const char *ecode(ULONG e)
{
    static char other[8][24];
    static int k;
    switch (e) {
    case NO_ERROR: return "NO_ERROR";
    case ERROR_INVALID_FUNCTION: return "ERROR_INVALID_FUNCTION";
    case ERROR_FILE_NOT_FOUND: return "ERROR_FILE_NOT_FOUND";
    case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
    case ERROR_INVALID_HANDLE: return "ERROR_INVALID_HANDLE";
    case ERROR_NOT_ENOUGH_MEMORY: return "ERROR_NOT_ENOUGH_MEMORY";
    case ERROR_SHARING_VIOLATION: return "ERROR_SHARING_VIOLATION";
    case ERROR_HANDLE_EOF: return "ERROR_HANDLE_EOF";
    case ERROR_NOT_SUPPORTED: return "ERROR_NOT_SUPPORTED";
    case ERROR_NETNAME_DELETED: return "ERROR_NETNAME_DELETED";
    case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
    case ERROR_CALL_NOT_IMPLEMENTED: return "ERROR_CALL_NOT_IMPLEMENTED";
    case ERROR_INSUFFICIENT_BUFFER: return "ERROR_INSUFFICIENT_BUFFER";
    case ERROR_ALREADY_EXISTS: return "ERROR_ALREADY_EXISTS";
    case ERROR_MORE_DATA: return "ERROR_MORE_DATA";
    case WAIT_TIMEOUT: return "WAIT_TIMEOUT";
    case ERROR_OPERATION_ABORTED: return "ERROR_OPERATION_ABORTED";
    case ERROR_IO_INCOMPLETE: return "ERROR_IO_INCOMPLETE";
    case ERROR_IO_PENDING: return "ERROR_IO_PENDING";
    case ERROR_NOT_FOUND: return "ERROR_NOT_FOUND";
    case ERROR_GRACEFUL_DISCONNECT: return "ERROR_GRACEFUL_DISCONNECT";
    case ERROR_CONNECTION_INVALID: return "ERROR_CONNECTION_INVALID";
    case ERROR_CONNECTION_ABORTED: return "ERROR_CONNECTION_ABORTED";
    case ERROR_REVISION_MISMATCH: return "ERROR_REVISION_MISMATCH";
    case ERROR_DLL_INIT_FAILED: return "ERROR_DLL_INIT_FAILED";
    case PROBE_TIMEOUT: return "no-completion";
    case PROBE_UNIMPLEMENTED: return "unimplemented-stub";
    case NOCOMP: return "none";
    default:
        k = (k + 1) % 8;
        snprintf(other[k], sizeof(other[k]), "%lu", (unsigned long)e);
        return other[k];
    }
}

/* Escapes bytes for one report field. Rotating static buffers: up to 8 in one printf. */
static const char *escn(const char *p, size_t n)
{
    static char bufs[8][16384];
    static int k;
    k = (k + 1) % 8;
    char *o = bufs[k];
    size_t j = 0, cap = sizeof(bufs[k]) - 8;
    if (p == NULL) return "(null)";
    for (size_t i = 0; i < n && j < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') { o[j++] = '\\'; o[j++] = 'r'; }
        else if (c == '\n') { o[j++] = '\\'; o[j++] = 'n'; }
        else if (c == ' ') { o[j++] = '\\'; o[j++] = 's'; }
        else if (c == '\\') { o[j++] = '\\'; o[j++] = '\\'; }
        else if (c < 0x21 || c > 0x7e) { j += (size_t)snprintf(o + j, 8, "\\x%02X", c); }
        else o[j++] = (char)c;
    }
    if (j >= cap) { memcpy(o + j, "...", 3); j += 3; }
    if (j == 0) { o[j++] = '\'', o[j++] = '\''; }
    o[j] = 0;
    return o;
}
static const char *esc(const char *s) { return escn(s, s ? strlen(s) : 0); }

/* Replaces in place what varies from run to run in client bytes: the ports, and the value of every
 * Date header unless it is keep (the application's own value, kept so its presence shows). */
static size_t normalise(char *b, size_t n, const char *keep)
{
    char tmp[65536];
    size_t j = 0;
    char p1[16], p2[16];
    snprintf(p1, sizeof(p1), "%u", port1);
    snprintf(p2, sizeof(p2), "%u", port2);
    size_t l1 = strlen(p1), l2 = strlen(p2);
    for (size_t i = 0; i < n && j < sizeof(tmp) - 16;) {
        int bol = i == 0 || b[i - 1] == '\n';
        if (bol && n - i >= 6 && memcmp(b + i, "Date: ", 6) == 0) {
            size_t e = i + 6;
            while (e < n && b[e] != '\r' && b[e] != '\n') e++;
            if (keep && e - i - 6 == strlen(keep) && memcmp(b + i + 6, keep, e - i - 6) == 0) {
                memcpy(tmp + j, b + i, e - i); j += e - i;
            } else {
                memcpy(tmp + j, "Date: <DATE>", 12); j += 12;
            }
            i = e;
            continue;
        }
        if (n - i >= l1 && memcmp(b + i, p1, l1) == 0) { memcpy(tmp + j, "PORT", 4); j += 4; i += l1; continue; }
        if (n - i >= l2 && memcmp(b + i, p2, l2) == 0) { memcpy(tmp + j, "PORT2", 5); j += 5; i += l2; continue; }
        tmp[j++] = b[i++];
    }
    memcpy(b, tmp, j);
    b[j] = 0;
    return j;
}

/* ---------------------------------------------------------------- client --------------------- */

typedef struct {
    psock s;
    char buf[65536];
    size_t len;
    int end;      /* 0 still open, 1 FIN seen, 2 reset/error, 3 connect failed */
    unsigned short port;
} cli;

static cli *cli_open_port(unsigned short port)
{
    cli *c = calloc(1, sizeof(*c));
    c->port = port;
    c->s = ps_connect(port, 3000);
    if (c->s == PSOCK_BAD) c->end = 3;
    return c;
}
static cli *cli_open(void) { return cli_open_port(port1); }

static void cli_sendn(cli *c, const char *p, size_t n)
{
    if (c->s == PSOCK_BAD) return;
    while (n > 0) {
        int k = send(c->s, p, (int)n, 0);
        if (k <= 0) return;
        p += k;
        n -= (size_t)k;
    }
}
/* Sends a formatted string; "@H" stands for "localhost:PORT" (the client's port). */
static void cli_send(cli *c, const char *fmt, ...)
{
    char f[8192], out[16384];
    size_t j = 0;
    for (size_t i = 0; fmt[i] && j < sizeof(f) - 64; i++) {
        if (fmt[i] == '@' && fmt[i + 1] == 'H') { j += (size_t)snprintf(f + j, 64, "localhost:%u", c->port); i++; }
        else if (fmt[i] == '%' ) { f[j++] = '%'; f[j++] = fmt[i + 1] ? fmt[++i] : '%'; }
        else f[j++] = fmt[i];
    }
    f[j] = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, sizeof(out), f, ap);
    va_end(ap);
    cli_sendn(c, out, (size_t)n);
}

/* Reads what arrives until the connection ends, total_ms pass, or nothing came for idle_ms. */
static void cli_read(cli *c, unsigned total_ms, unsigned idle_ms)
{
    if (c->s == PSOCK_BAD || c->end) return;
    unsigned long long end = ps_now_ms() + total_ms;
    for (;;) {
        unsigned long long now = ps_now_ms();
        if (now >= end) return;
        unsigned left = (unsigned)(end - now);
        int w = ps_wait_readable(c->s, left < idle_ms ? left : idle_ms);
        if (w == 0) return;
        if (w < 0) { c->end = 2; return; }
        if (c->len >= sizeof(c->buf) - 1) return;
        int k = recv(c->s, c->buf + c->len, (int)(sizeof(c->buf) - 1 - c->len), 0);
        if (k == 0) { c->end = 1; return; }
        if (k < 0) { c->end = ps_lasterr_reset() ? 2 : 2; return; }
        c->len += (size_t)k;
        c->buf[c->len] = 0;
    }
}
/* Reads until at least `want` bytes containing `until` (if given) arrived, then idle_ms more. */
static void cli_read_until(cli *c, const char *until, unsigned total_ms, unsigned idle_ms)
{
    unsigned long long end = ps_now_ms() + total_ms;
    while (!c->end && ps_now_ms() < end) {
        if (until && c->len && strstr(c->buf, until)) break;
        cli_read(c, (unsigned)(end - ps_now_ms()), 100);
        if (!until) break;
    }
    if (!c->end) cli_read(c, idle_ms, idle_ms);
}
static const char *cli_end(const cli *c)
{
    return c->end == 0 ? "open" : c->end == 1 ? "fin" : c->end == 2 ? "reset" : "connect-failed";
}
/* The client bytes, normalised and escaped; the buffer is consumed. */
static const char *cli_take(cli *c, const char *keepdate)
{
    size_t n = normalise(c->buf, c->len, keepdate);
    const char *r = escn(c->buf, n);
    c->len = 0;
    c->buf[0] = 0;
    return r;
}
static void cli_close(cli *c) { if (c->s != PSOCK_BAD) ps_close(c->s); c->s = PSOCK_BAD; }
static void cli_rst(cli *c) { if (c->s != PSOCK_BAD) ps_reset(c->s); c->s = PSOCK_BAD; }
static void cli_fin(cli *c) { if (c->s != PSOCK_BAD) ps_shutdown_send(c->s); }
/* Is the connection still usable: a second request on it gets an answer (the server side is
 * driven by the caller through serve_simple). Returns the status line, escaped, or a reason. */

/* ---------------------------------------------------------------- server --------------------- */

typedef struct {
    HTTP_URL_GROUP_ID grp;
    HANDLE q;
    int skip;  /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS set */
    unsigned short port;
} srv;

/* An overlapped operation; never freed while it may still complete (the probe is short-lived). */
typedef struct {
    OVERLAPPED ov;
    int done;
    ULONG err;
    DWORD bytes;
} op;

static op *op_new(void) { return calloc(1, sizeof(op)); }

/* Dequeues completions until o has completed or ms passed. Other completions mark their own op. */
static int op_wait(op *o, unsigned ms)
{
    unsigned long long end = ps_now_ms() + ms;
    while (!o->done) {
        unsigned long long now = ps_now_ms();
        if (now >= end) return 0;
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *ov = NULL;
        BOOL ok = GetQueuedCompletionStatus(iocp, &bytes, &key, &ov, (DWORD)(end - now));
        ULONG err = ok ? NO_ERROR : GetLastError();
        if (ov == NULL) continue; /* timeout */
        op *d = (op *)ov;
        d->done = 1;
        d->err = err;
        d->bytes = bytes;
    }
    return 1;
}

/* Final code of an overlapped call that returned rc: waits for the completion if one is due. */
static ULONG finish(srv *s, op *o, ULONG rc, unsigned ms)
{
    if (rc == ERROR_IO_PENDING || (rc == NO_ERROR && !s->skip)) {
        if (!op_wait(o, ms)) return PROBE_TIMEOUT;
        return o->err;
    }
    if (rc == NO_ERROR) o->bytes = (DWORD)o->ov.InternalHigh;
    return rc;
}

static void wide(WCHAR *out, const char *in)
{
    size_t i = 0;
    for (; in[i]; i++) out[i] = (WCHAR)(unsigned char)in[i];
    out[i] = 0;
}

/* UTF-16 to an escaped report field (non-ASCII as \uHHHH). */
static const char *narrow(PCWSTR w, size_t n)
{
    char b[1024];
    size_t j = 0;
    for (size_t i = 0; w && i < n && j < sizeof(b) - 8; i++) {
        if (w[i] < 0x80) b[j++] = (char)w[i];
        else j += (size_t)snprintf(b + j, 8, "\\u%04X", w[i]);
    }
    j = normalise(b, j, NULL);
    return escn(b, j);
}

static ULONG srv_make(srv *s, const char *url, int bind)
{
    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    WCHAR w[256];
    wide(w, url);
    memset(s, 0, sizeof(*s));
    s->port = (unsigned short)atoi(strchr(url + 7, ':') + 1);
    ULONG rc = HttpCreateUrlGroup(sess, &s->grp, 0);
    if (rc) return rc;
    rc = HttpAddUrlToUrlGroup(s->grp, w, 0, 0);
    if (rc) return rc;
    if (!bind) return NO_ERROR;
    rc = HttpCreateRequestQueue(v, NULL, NULL, 0, &s->q);
    if (rc) return rc;
    if (CreateIoCompletionPort(s->q, iocp, 0, 0) == NULL) return GetLastError();
    HTTP_BINDING_INFO b;
    memset(&b, 0, sizeof(b));
    b.Flags.Present = 1;
    b.RequestQueueHandle = s->q;
    return HttpSetUrlGroupProperty(s->grp, HttpServerBindingProperty, &b, sizeof(b));
}

typedef struct {
    ULONG rc;
    HTTP_REQUEST *r;
    DWORD bytes;
    op *o;
} got;

/* Receives one request into a fresh buffer of len bytes (0: 16 KiB). */
static got recv_req(srv *s, HTTP_REQUEST_ID id, ULONG flags, ULONG len, unsigned ms)
{
    got g;
    memset(&g, 0, sizeof(g));
    if (len == 0) len = 16384;
    g.r = calloc(1, len + 64);
    g.o = op_new();
    ULONG rc;
    PROBE_CALL(rc, HttpReceiveHttpRequest(s->q, id, flags, g.r, len, NULL, &g.o->ov));
    g.rc = finish(s, g.o, rc, ms);
    if (g.rc == PROBE_TIMEOUT) {
        CancelIoEx(s->q, &g.o->ov);
        op_wait(g.o, 500);
    }
    g.bytes = g.o->bytes;
    return g;
}

/* Starts a receive and returns at once (rc as the call returned it). */
static got recv_start(srv *s, ULONG flags, ULONG len)
{
    got g;
    memset(&g, 0, sizeof(g));
    if (len == 0) len = 16384;
    g.r = calloc(1, len + 64);
    g.o = op_new();
    PROBE_CALL(g.rc, HttpReceiveHttpRequest(s->q, 0, flags, g.r, len, NULL, &g.o->ov));
    return g;
}

/* Receives the next request whose raw URL is path; a stray one is answered 500 and skipped. */
static got recv_for(srv *s, const char *path, ULONG flags, unsigned ms)
{
    for (int i = 0; i < 4; i++) {
        got g = recv_req(s, 0, flags, 0, ms);
        if (g.rc != NO_ERROR) return g;
        if (g.r->RawUrlLength == strlen(path) && memcmp(g.r->pRawUrl, path, strlen(path)) == 0) return g;
        rep("X00", "stray-request url=%s while-waiting-for=%s", escn(g.r->pRawUrl, g.r->RawUrlLength), path);
        HTTP_RESPONSE resp;
        memset(&resp, 0, sizeof(resp));
        resp.StatusCode = 500;
        op *o = op_new();
        ULONG rc = HttpSendHttpResponse(s->q, g.r->RequestId, HTTP_SEND_RESPONSE_FLAG_DISCONNECT, &resp, NULL,
                                        NULL, NULL, 0, &o->ov, NULL);
        finish(s, o, rc, 2000);
    }
    got none;
    memset(&none, 0, sizeof(none));
    none.rc = PROBE_TIMEOUT;
    return none;
}

/* A response under construction. */
typedef struct {
    HTTP_RESPONSE r;
    HTTP_UNKNOWN_HEADER unk[8];
    HTTP_DATA_CHUNK ch[4];
} resp_t;

static resp_t *resp_new(USHORT status, const char *reason)
{
    resp_t *x = calloc(1, sizeof(*x));
    x->r.StatusCode = status;
    x->r.Version.MajorVersion = 1;
    x->r.Version.MinorVersion = 1;
    x->r.pReason = reason;
    x->r.ReasonLength = (USHORT)(reason ? strlen(reason) : 0);
    x->r.Headers.pUnknownHeaders = x->unk;
    return x;
}
static void resp_known(resp_t *x, int id, const char *v)
{
    x->r.Headers.KnownHeaders[id].pRawValue = v;
    x->r.Headers.KnownHeaders[id].RawValueLength = (USHORT)strlen(v);
}
static void resp_unknown(resp_t *x, const char *name, const char *v)
{
    HTTP_UNKNOWN_HEADER *u = &x->unk[x->r.Headers.UnknownHeaderCount++];
    u->pName = name;
    u->NameLength = (USHORT)strlen(name);
    u->pRawValue = v;
    u->RawValueLength = (USHORT)strlen(v);
}
static void resp_body(resp_t *x, const char *b)
{
    HTTP_DATA_CHUNK *c = &x->ch[x->r.EntityChunkCount++];
    c->DataChunkType = HttpDataChunkFromMemory;
    c->FromMemory.pBuffer = (void *)b;
    c->FromMemory.BufferLength = (ULONG)strlen(b);
    x->r.pEntityChunks = x->ch;
}
static ULONG send_resp(srv *s, HTTP_REQUEST_ID id, ULONG flags, resp_t *x)
{
    op *o = op_new();
    ULONG rc;
    PROBE_CALL(rc, HttpSendHttpResponse(s->q, id, flags, &x->r, NULL, NULL, NULL, 0, &o->ov, NULL));
    return finish(s, o, rc, 3000);
}
static ULONG send_body(srv *s, HTTP_REQUEST_ID id, ULONG flags, const char *b)
{
    static HTTP_DATA_CHUNK ch[64];
    static int k;
    HTTP_DATA_CHUNK *c = &ch[k++ % 64];
    memset(c, 0, sizeof(*c));
    c->DataChunkType = HttpDataChunkFromMemory;
    c->FromMemory.pBuffer = (void *)b;
    c->FromMemory.BufferLength = (ULONG)(b ? strlen(b) : 0);
    op *o = op_new();
    ULONG rc;
    PROBE_CALL(rc, HttpSendResponseEntityBody(s->q, id, flags, b ? 1 : 0, b ? c : NULL, NULL, NULL, 0, &o->ov, NULL));
    return finish(s, o, rc, 3000);
}
/* Reads entity body; out gets the bytes (NUL-terminated). */
static ULONG recv_body(srv *s, HTTP_REQUEST_ID id, char *out, ULONG cap, DWORD *n, unsigned ms)
{
    op *o = op_new();
    ULONG rc;
    char *tmp = calloc(1, cap + 1);
    PROBE_CALL(rc, HttpReceiveRequestEntityBody(s->q, id, 0, tmp, cap, NULL, &o->ov));
    rc = finish(s, o, rc, ms);
    if (rc == PROBE_TIMEOUT) { CancelIoEx(s->q, &o->ov); op_wait(o, 500); }
    *n = rc == NO_ERROR ? o->bytes : 0;
    memcpy(out, tmp, *n);
    out[*n] = 0;
    return rc; /* tmp is leaked: the kernel may still write it after a late cancel */
}
/* Reads the whole body: the codes of every read, joined, and the bytes. */
static void read_all_body(srv *s, HTTP_REQUEST_ID id, char *codes, size_t ccap, char *data, size_t dcap, unsigned ms)
{
    size_t dl = 0, cl = 0;
    codes[0] = 0;
    data[0] = 0;
    for (int i = 0; i < 8; i++) {
        DWORD n = 0;
        char chunk[4096];
        ULONG rc = recv_body(s, id, chunk, sizeof(chunk) - 1, &n, ms);
        if (rc == NO_ERROR) {
            cl += (size_t)snprintf(codes + cl, ccap - cl, "%s%lu", cl ? "," : "", (unsigned long)n);
            if (dl + n < dcap) { memcpy(data + dl, chunk, n); dl += n; data[dl] = 0; }
            continue;
        }
        cl += (size_t)snprintf(codes + cl, ccap - cl, "%s%s", cl ? "," : "", ecode(rc));
        break;
    }
}
static const char *unknown_headers(const HTTP_REQUEST *r)
{
    static char b[4096];
    size_t j = 0;
    b[0] = 0;
    for (int i = 0; i < r->Headers.UnknownHeaderCount && j < sizeof(b) - 64; i++) {
        const HTTP_UNKNOWN_HEADER *u = &r->Headers.pUnknownHeaders[i];
        j += (size_t)snprintf(b + j, sizeof(b) - j, "%s%s", i ? "|" : "", escn(u->pName, u->NameLength));
        j += (size_t)snprintf(b + j, sizeof(b) - j, ":%s", escn(u->pRawValue, u->RawValueLength));
    }
    return b[0] ? b : "none";
}
static const char *known(const HTTP_REQUEST *r, int id)
{
    const HTTP_KNOWN_HEADER *k = &r->Headers.KnownHeaders[id];
    if (k->pRawValue == NULL) return "absent";
    return escn(k->pRawValue, k->RawValueLength);
}
/* Answers a request 200 "ok" with a Content-Length (keep-alive). */
static ULONG answer_ok(srv *s, HTTP_REQUEST_ID id)
{
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentLength, "2");
    resp_body(x, "ok");
    return send_resp(s, id, 0, x);
}
/* Is the connection still usable after an exchange: sends a second request on it, answers it. */
static const char *reuse(srv *s, cli *c, const char *path)
{
    if (c->end) return "closed";
    cli_send(c, "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", path);
    got g = recv_for(s, path, 0, 1500);
    if (g.rc != NO_ERROR) { cli_read(c, 300, 300); return c->end ? "closed" : "not-delivered"; }
    answer_ok(s, g.r->RequestId);
    cli_read_until(c, "\r\n\r\nok", 1500, 100);
    return strstr(c->buf, "\r\n\r\nok") ? "yes" : "no-answer";
}

/* ---------------------------------------------------------------- measurements --------------- */

static srv S1; /* http://localhost:PORT/ */

/* A simple exchange: the client sends req, the server answers with x and flags; reports the bytes. */
static void exchange(const char *id, const char *path, const char *req, resp_t *x, ULONG flags, const char *keepdate,
                     int check_reuse)
{
    cli *c = cli_open();
    cli_send(c, req, path);
    got g = recv_for(&S1, path, 0, 2000);
    if (g.rc != NO_ERROR) { rep(id, "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    ULONG rc = send_resp(&S1, g.r->RequestId, flags, x);
    cli_read(c, 1500, 400);
    char path2[64];
    snprintf(path2, sizeof(path2), "%s-again", path);
    const char *bytes = cli_take(c, keepdate);
    rep(id, "send=%s client=%s", ecode(rc), bytes);
    if (check_reuse) rep(id, "reusable=%s", reuse(&S1, c, path2));
    cli_rst(c);
}

static void m_session_before_init(void)
{
    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    HTTP_SERVER_SESSION_ID id = 0;
    ULONG rc;
    PROBE_CALL(rc, HttpCreateServerSession(v, &id, 0));
    rep("G191", "session-before-init=%s", ecode(rc));
    if (rc == NO_ERROR) HttpCloseServerSession(id);
}

static void m_bodiless_200(void)
{
    resp_t *x = resp_new(200, "OK");
    exchange("Q05", "/q05", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
}

static void m_server_header(void)
{
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderServer, "app/1");
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("Q16", "/q16", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
}

static void m_head_body(void)
{
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentLength, "5");
    resp_body(x, "hello");
    exchange("G178a", "/g178a", "HEAD %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 1);
    x = resp_new(200, "OK");
    resp_body(x, "hello");
    exchange("G178b", "/g178b", "HEAD %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 1);
}

/* The state of a wait after up to ms: its code, or "pending". */
static const char *opstate(srv *s, op *o, ULONG rc, unsigned ms)
{
    if (rc != ERROR_IO_PENDING && !(rc == NO_ERROR && !s->skip)) return ecode(rc);
    if (!op_wait(o, ms)) return "pending";
    return ecode(o->err);
}
static op *wait_disc(srv *s, HTTP_CONNECTION_ID cid, int ex, ULONG *rc)
{
    op *o = op_new();
    if (ex) PROBE_CALL(*rc, probe_HttpWaitForDisconnectEx(s->q, cid, 0, &o->ov));
    else PROBE_CALL(*rc, HttpWaitForDisconnect(s->q, cid, &o->ov));
    return o;
}
static const char *bucket(unsigned long long ms)
{
    return ms < 1000 ? "<1s" : ms < 5000 ? "1-5s" : ">=5s";
}
/* A client with one request delivered and answered 200 ok (keep-alive). */
static cli *connected(srv *s, const char *path, got *g)
{
    cli *c = cli_open_port(s->port);
    cli_send(c, "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", path);
    *g = recv_for(s, path, 0, 2000);
    if (g->rc == NO_ERROR) answer_ok(s, g->r->RequestId);
    cli_read_until(c, "\r\n\r\nok", 1500, 50);
    c->len = 0;
    return c;
}

/* Q01: a disconnect wait on a connection id that was never issued. */
static void m_wait_unknown(void)
{
    ULONG rc1, rc2;
    op *o1 = wait_disc(&S1, 0x123456789abcull, 0, &rc1);
    op *o2 = wait_disc(&S1, 0x123456789abcull, 1, &rc2);
    rep("Q01", "v1=%s ex=%s", opstate(&S1, o1, rc1, 300), opstate(&S1, o2, rc2, 300));
}

/* Q02: two disconnect waits on one connection, then a client RST. Q03a: their completion code. */
static void m_two_waits(void)
{
    got g;
    cli *c = connected(&S1, "/q02", &g);
    if (g.rc) { rep("Q02", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    ULONG rc1, rc2;
    op *o1 = wait_disc(&S1, g.r->ConnectionId, 1, &rc1);
    op *o2 = wait_disc(&S1, g.r->ConnectionId, 1, &rc2);
    rep("Q02", "first=%s second=%s", rc1 == ERROR_IO_PENDING ? "pending" : ecode(rc1),
        rc2 == ERROR_IO_PENDING ? "pending" : ecode(rc2));
    cli_rst(c);
    const char *a = opstate(&S1, o1, rc1, 3000);
    const char *b = opstate(&S1, o2, rc2, 1000);
    rep("Q03a", "after-client-rst first=%s second=%s", a, b);
}

/* Q03b: a disconnect wait when its queue is closed. Q11: a pending receive after shutdown. */
static void m_queue_close(void)
{
    char url[128];
    srv a;
    snprintf(url, sizeof(url), "http://localhost:%u/q03/", port1 + 2); /* own port: Wine stops serving a port when a second queue on it closes */
    ULONG rc = srv_make(&a, url, 1);
    if (rc) { rep("Q03b", "register=%s", ecode(rc)); return; }
    got g;
    cli *c = connected(&a, "/q03/x", &g);
    if (g.rc == NO_ERROR) {
        ULONG wrc;
        op *w = wait_disc(&a, g.r->ConnectionId, 1, &wrc);
        ULONG crc = HttpCloseRequestQueue(a.q);
        rep("Q03b", "close-queue=%s wait=%s client=%s", ecode(crc), opstate(&a, w, wrc, 2000),
            (cli_read(c, 800, 800), cli_end(c)));
    } else rep("Q03b", "receive=%s", ecode(g.rc));
    cli_rst(c);
    HttpCloseUrlGroup(a.grp);
}
static void m_shutdown(void)
{
    char url[128];
    srv a;
    snprintf(url, sizeof(url), "http://localhost:%u/q11/", port1 + 3);
    ULONG rc = srv_make(&a, url, 1);
    if (rc) { rep("Q11", "register=%s", ecode(rc)); return; }
    got r = recv_start(&a, 0, 0); /* no client: stays pending */
    ULONG src;
    PROBE_CALL(src, HttpShutdownRequestQueue(a.q));
    rep("Q11", "receive=%s shutdown=%s pending-receive=%s", r.rc == ERROR_IO_PENDING ? "pending" : ecode(r.rc),
        ecode(src), opstate(&a, r.o, r.rc, 2000));
    if (src == PROBE_UNIMPLEMENTED) { HttpCloseRequestQueue(a.q); HttpCloseUrlGroup(a.grp); return; }
    got r2 = recv_req(&a, 0, 0, 0, 500);
    cli *c2 = cli_open_port(a.port);
    cli_send(c2, "GET /q11/x HTTP/1.1\r\nHost: @H\r\n\r\n");
    cli_read(c2, 1500, 600);
    rep("Q11", "receive-after-shutdown=%s client-after-shutdown=%s end=%s", ecode(r2.rc), cli_take(c2, NULL), cli_end(c2));
    cli_rst(c2);
    HttpCloseRequestQueue(a.q);
    HttpCloseUrlGroup(a.grp);
}

/* Q04 (v1 wait) and Q15 (Ex wait): does a client FIN complete them, and how soon. */
static void m_wait_on_fin(void)
{
    got g1, g2;
    cli *c1 = connected(&S1, "/q04", &g1);
    cli *c2 = connected(&S1, "/q15", &g2);
    if (g1.rc || g2.rc) { rep("Q04", "receive=%s,%s", ecode(g1.rc), ecode(g2.rc)); cli_rst(c1); cli_rst(c2); return; }
    ULONG rc1, rc2;
    op *o1 = wait_disc(&S1, g1.r->ConnectionId, 0, &rc1);
    op *o2 = wait_disc(&S1, g2.r->ConnectionId, 1, &rc2);
    unsigned long long t0 = ps_now_ms(), t1 = 0, t2 = 0;
    cli_fin(c1);
    cli_fin(c2);
    int p1 = rc1 == ERROR_IO_PENDING || rc1 == NO_ERROR, p2 = rc2 == ERROR_IO_PENDING || rc2 == NO_ERROR;
    while (ps_now_ms() - t0 < 5000 && ((p1 && !o1->done) || (p2 && !o2->done))) {
        op_wait(p1 && !o1->done ? o1 : o2, 100);
        if (o1->done && !t1) t1 = ps_now_ms();
        if (o2->done && !t2) t2 = ps_now_ms();
    }
    rep("Q04", "v1-wait=%s on-client-fin=%s%s%s", ecode(rc1), !p1 ? "n/a" : o1->done ? ecode(o1->err) : "pending",
        o1->done ? " after=" : "", o1->done ? bucket(t1 - t0) : "");
    rep("Q15", "ex-wait=%s on-client-fin=%s%s%s", ecode(rc2), !p2 ? "n/a" : o2->done ? ecode(o2->err) : "pending",
        o2->done ? " after=" : "", o2->done ? bucket(t2 - t0) : "");
    cli_read(c1, 300, 300);
    rep("Q04", "client-after-fin=%s", cli_end(c1));
    cli_close(c1);
    cli_close(c2);
    if (p1 && !o1->done) rep("Q04", "v1-on-client-close=%s", opstate(&S1, o1, rc1, 2000));
}

/* Q06: HTTP.sys's own 400 (bad request line; unknown host), 404 and 503, byte for byte. */
static srv S2, S3; /* http://localhost:PORT2/p/ (queue), http://localhost:PORT2/n/ (no queue) */
static void own_reply(const char *id, unsigned short port, const char *req)
{
    cli *c = cli_open_port(port);
    cli_send(c, req);
    cli_read(c, 2000, 700);
    const char *b = cli_take(c, NULL);
    rep(id, "client=%s end=%s", b, cli_end(c));
    cli_rst(c);
}
static void m_own_replies(void)
{
    own_reply("Q06a", port1, "GARBAGE\r\n\r\n");
    own_reply("Q06b", port1, "GET /q06b HTTP/1.1\r\nHost: other.example\r\n\r\n");
    own_reply("Q06c", port2, "GET /q06c HTTP/1.1\r\nHost: localhost\r\n\r\n");
    own_reply("Q06d", port2, "GET /n/q06d HTTP/1.1\r\nHost: localhost\r\n\r\n");
    own_reply("Q06e", port1, "GET /q06e HTTP/1.1\r\n\r\n");
}

/* Q07: a MORE_DATA head without length, a MORE_DATA body send, a final send without data. */
static void m_moredata_no_length(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /q07 HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g = recv_for(&S1, "/q07", 0, 2000);
    if (g.rc) { rep("Q07", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    resp_t *x = resp_new(200, "OK");
    ULONG a = send_resp(&S1, g.r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, x);
    ULONG b = send_body(&S1, g.r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, "abc");
    ULONG d = send_body(&S1, g.r->RequestId, 0, NULL);
    cli_read(c, 1500, 700);
    rep("Q07", "head=%s body=%s final=%s client=%s end=%s", ecode(a), ecode(b), ecode(d), cli_take(c, NULL), cli_end(c));
    cli_rst(c);
}

/* Q08: the RequestQueue timer (1 s on the group) expires on a request nobody receives. */
static void m_request_queue_timer(void)
{
    char url[128];
    srv a;
    snprintf(url, sizeof(url), "http://localhost:%u/q08/", port1 + 4);
    ULONG rc = srv_make(&a, url, 1);
    if (rc) { rep("Q08", "register=%s", ecode(rc)); return; }
    HTTP_TIMEOUT_LIMIT_INFO t;
    memset(&t, 0, sizeof(t));
    t.Flags.Present = 1;
    t.RequestQueue = 1;
    ULONG trc = HttpSetUrlGroupProperty(a.grp, HttpServerTimeoutsProperty, &t, sizeof(t));
    cli *c = cli_open_port(a.port);
    cli_send(c, "GET /q08/x HTTP/1.1\r\nHost: @H\r\n\r\n");
    unsigned long long t0 = ps_now_ms();
    cli_read(c, 5000, 5000);
    unsigned long long t1 = ps_now_ms();
    const char *b = cli_take(c, NULL);
    got g = recv_req(&a, 0, 0, 0, 300);
    rep("Q08", "set-timeout=%s client=%s end=%s after=%s later-receive=%s", ecode(trc), b, cli_end(c),
        c->end || t1 - t0 < 4900 ? bucket(t1 - t0) : "none<5s", ecode(g.rc));
    if (g.rc == NO_ERROR) answer_ok(&a, g.r->RequestId);
    cli_rst(c);
    HttpCloseRequestQueue(a.q);
    HttpCloseUrlGroup(a.grp);
}

/* Q09: which buffer sizes a v2 queue accepts for a request that does not fit. */
static void m_threshold(void)
{
    static const struct { const char *name; ULONG len; } sz[] = {
        { "16", 16 },
        { "V1-1", sizeof(HTTP_REQUEST_V1) - 1 },
        { "V1", sizeof(HTTP_REQUEST_V1) },
        { "V2-1", sizeof(HTTP_REQUEST_V2) - 1 },
        { "V2", sizeof(HTTP_REQUEST_V2) },
    };
    char line[1024];
    size_t j = 0;
    for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
        char path[32];
        snprintf(path, sizeof(path), "/q09-%s", sz[i].name);
        cli *c = cli_open();
        cli_send(c, "GET %s HTTP/1.1\r\nHost: @H\r\nX-Pad: %0400d\r\n\r\n", path, 0);
        ps_sleep_ms(100);
        got g = recv_req(&S1, 0, 0, sz[i].len, 1500);
        HTTP_REQUEST_ID id = g.rc == ERROR_MORE_DATA ? g.r->RequestId : 0;
        const char *how = g.rc == ERROR_MORE_DATA ? (id ? "id" : "no-id") : "";
        got g2 = recv_req(&S1, id, 0, 0, 1500);
        j += (size_t)snprintf(line + j, sizeof(line) - j, " %s=%s%s%s,then=%s", sz[i].name, ecode(g.rc),
                              *how ? "+" : "", how, ecode(g2.rc));
        if (g2.rc == NO_ERROR) answer_ok(&S1, g2.r->RequestId);
        cli_rst(c);
    }
    rep("Q09", "%s", line + 1);
}

/* Q10: HttpCancelHttpRequest with an OVERLAPPED; what the client sees. */
static void m_cancel_overlapped(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /q10 HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g = recv_for(&S1, "/q10", 0, 2000);
    if (g.rc) { rep("Q10", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    op *o = op_new();
    ULONG rc;
    PROBE_CALL(rc, HttpCancelHttpRequest(S1.q, g.r->RequestId, &o->ov));
    const char *st = opstate(&S1, o, rc, 2000);
    resp_t *x = resp_new(200, "OK");
    ULONG s2 = send_resp(&S1, g.r->RequestId, 0, x);
    cli_read(c, 1500, 700);
    rep("Q10", "cancel=%s completion=%s send-after=%s client=%s end=%s",
        rc == ERROR_IO_PENDING ? "pending" : ecode(rc), st, ecode(s2), cli_take(c, NULL), cli_end(c));
    cli_rst(c);
}

/* Q12: repeated response headers; Q13: a 103 then the final response. */
static void m_repeated_response_headers(void)
{
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderSetCookie, "a=1");
    resp_unknown(x, "Set-Cookie", "b=2");
    resp_known(x, HttpHeaderCacheControl, "no-cache");
    resp_unknown(x, "Cache-Control", "no-store");
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("Q12", "/q12", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
}
static void m_interim_103(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /q13 HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g = recv_for(&S1, "/q13", 0, 2000);
    if (g.rc) { rep("Q13", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    resp_t *e = resp_new(103, "Early Hints");
    resp_unknown(e, "Link", "</a.css>; rel=preload");
    ULONG a = send_resp(&S1, g.r->RequestId, 0, e);
    ULONG b = answer_ok(&S1, g.r->RequestId);
    cli_read(c, 1500, 500);
    rep("Q13", "send-103=%s send-200=%s client=%s end=%s", ecode(a), ecode(b), cli_take(c, NULL), cli_end(c));
    cli_rst(c);
}

/* Q14: ERROR_MORE_DATA returned synchronously to an overlapped receive: is a packet queued too?
 * (a) on a queue in FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode, (b) on a normal one. */
static void moredata_packet(const char *id, srv *s, const char *path)
{
    cli *c = cli_open_port(s->port);
    cli_send(c, "GET %s HTTP/1.1\r\nHost: @H\r\nX-Pad: %0600d\r\n\r\n", path, 0);
    ps_sleep_ms(300); /* the request is queued before the receive */
    got g = recv_start(s, 0, sizeof(HTTP_REQUEST_V2));
    const char *pk = "n/a";
    if (g.rc == ERROR_MORE_DATA) pk = op_wait(g.o, 500) ? "yes" : "no";
    rep(id, "receive=%s packet=%s", g.rc == ERROR_IO_PENDING ? "pending" : ecode(g.rc), pk);
    HTTP_REQUEST_ID rid = g.rc == ERROR_MORE_DATA || g.rc == ERROR_IO_PENDING ? g.r->RequestId : 0;
    if (rid) {
        got g2 = recv_req(s, rid, 0, 0, 1000);
        if (g2.rc == NO_ERROR) answer_ok(s, rid);
    }
    cli_rst(c);
}
static void m_moredata_skip(void)
{
    char url[128];
    srv a;
    snprintf(url, sizeof(url), "http://localhost:%u/q14/", port1 + 5);
    ULONG rc = srv_make(&a, url, 1);
    if (rc) { rep("Q14a", "register=%s", ecode(rc)); return; }
    a.skip = SetFileCompletionNotificationModes(a.q, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) ? 1 : 0;
    if (!a.skip) rep("Q14a", "skip-mode=%s", ecode(GetLastError()));
    moredata_packet("Q14a", &a, "/q14/x");
    moredata_packet("Q14b", &S1, "/q14b");
    HttpCloseRequestQueue(a.q);
    HttpCloseUrlGroup(a.grp);
}

/* Q17 and G181: repeated request headers, known and unknown. */
static void m_repeated_request_headers(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /q17 HTTP/1.1\r\nHost: @H\r\nX-A: 1\r\nX-B: mid\r\nX-A: 2\r\nCookie: a=1\r\nAccept: x\r\nCookie: b=2\r\n\r\n");
    got g = recv_for(&S1, "/q17", 0, 2000);
    if (g.rc) { rep("Q17", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    rep("Q17", "cookie=%s accept=%s", known(g.r, HttpHeaderCookie), known(g.r, HttpHeaderAccept));
    rep("G181", "unknown-count=%u unknown=%s", g.r->Headers.UnknownHeaderCount, unknown_headers(g.r));
    answer_ok(&S1, g.r->RequestId);
    cli_rst(c);
}

/* Q18 and G184: Content-Length 20, 5 bytes, then FIN (a) or RST (b). */
static void m_body_cut(const char *id, int rst)
{
    char path[32];
    snprintf(path, sizeof(path), "/%s", id);
    cli *c = cli_open();
    cli_send(c, "POST %s HTTP/1.1\r\nHost: @H\r\nContent-Length: 20\r\n\r\nhello", path);
    got g = recv_for(&S1, path, 0, 2000);
    if (g.rc) { rep(id, "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    char data[64];
    DWORD n = 0;
    ps_sleep_ms(100);
    /* the 5 bytes may have come with the head (entity chunks) or wait for a read */
    ULONG first = g.r->EntityChunkCount ? NO_ERROR : recv_body(&S1, g.r->RequestId, data, sizeof(data) - 1, &n, 1500);
    if (rst) cli_rst(c); else cli_fin(c);
    ps_sleep_ms(200);
    char codes[256], all[256];
    read_all_body(&S1, g.r->RequestId, codes, sizeof(codes), all, sizeof(all), 2000);
    rep(id, "with-head=%u first=%s%s%lu after-%s=%s", g.r->EntityChunkCount, ecode(first),
        first == NO_ERROR ? ":" : "", (unsigned long)n, rst ? "rst" : "fin", codes);
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentLength, "0");
    ULONG s2 = send_resp(&S1, g.r->RequestId, 0, x);
    if (!rst) { cli_read(c, 1000, 400); rep(id, "send-after=%s client=%s end=%s", ecode(s2), cli_take(c, NULL), cli_end(c)); }
    else rep(id, "send-after=%s", ecode(s2));
    if (!rst) cli_rst(c);
}

/* G179: 204 and 304 with body chunks; a 204 with an application Content-Length: 0. */
static void m_bodiless_statuses(void)
{
    resp_t *x = resp_new(204, "No Content");
    resp_body(x, "hello");
    exchange("G179a", "/g179a", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
    x = resp_new(204, "No Content");
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("G179b", "/g179b", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
    x = resp_new(304, "Not Modified");
    resp_body(x, "hello");
    exchange("G179c", "/g179c", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
}

/* G182: response known slot vs unknown list. */
static void m_header_slots(void)
{
    resp_t *x = resp_new(200, "OK");
    resp_unknown(x, "Content-Length", "2");
    resp_body(x, "ok");
    exchange("G182a", "/g182a", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 1);
    x = resp_new(200, "OK");
    resp_known(x, HttpHeaderConnection, "close");
    resp_known(x, HttpHeaderContentLength, "2");
    resp_body(x, "ok");
    exchange("G182b", "/g182b", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 1);
    x = resp_new(200, "OK");
    resp_unknown(x, "Connection", "close");
    resp_known(x, HttpHeaderContentLength, "2");
    resp_body(x, "ok");
    exchange("G182c", "/g182c", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 1);
    x = resp_new(200, "OK");
    resp_known(x, HttpHeaderCacheControl, "");
    resp_unknown(x, "X-Empty", "");
    resp_unknown(x, "Server", "unk/1");
    resp_unknown(x, "Date", "Sun, 06 Nov 1994 08:49:37 GMT");
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("G182d", "/g182d", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, "Sun, 06 Nov 1994 08:49:37 GMT", 0);
}

/* G183: a known-slot Date, valid and invalid. */
static void m_date_slot(void)
{
    static const char *valid = "Sun, 06 Nov 1994 08:49:37 GMT";
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderDate, valid);
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("G183a", "/g183a", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, valid, 0);
    x = resp_new(200, "OK");
    resp_known(x, HttpHeaderDate, "yesteryear");
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("G183b", "/g183b", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, "yesteryear", 0);
}

/* G185: a request left in the MORE_DATA state, then HttpCancelHttpRequest. */
static void m_moredata_cancel(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /g185 HTTP/1.1\r\nHost: @H\r\nX-Pad: %0600d\r\n\r\n", 0);
    ps_sleep_ms(200);
    got g = recv_req(&S1, 0, 0, sizeof(HTTP_REQUEST_V2), 1500);
    if (g.rc != ERROR_MORE_DATA) { rep("G185", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    HTTP_REQUEST_ID id = g.r->RequestId;
    op *o = op_new();
    ULONG rc;
    PROBE_CALL(rc, HttpCancelHttpRequest(S1.q, id, &o->ov));
    const char *st = opstate(&S1, o, rc, 2000);
    got g2 = recv_req(&S1, id, 0, 0, 1000);
    cli_read(c, 1000, 500);
    rep("G185", "cancel=%s completion=%s receive-by-id=%s client=%s end=%s", rc == ERROR_IO_PENDING ? "pending" : ecode(rc),
        st, ecode(g2.rc), cli_take(c, NULL), cli_end(c));
    if (g2.rc == NO_ERROR) answer_ok(&S1, id);
    cli_rst(c);
    cli *c2 = cli_open();
    cli_send(c2, "GET /g185-next HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g3 = recv_for(&S1, "/g185-next", 0, 1500);
    rep("G185", "next-receive=%s", ecode(g3.rc));
    if (g3.rc == NO_ERROR) answer_ok(&S1, g3.r->RequestId);
    cli_rst(c2);
}

/* G194: when the 100 Continue goes out, with a client that waits 2 s for it before its body. */
static void m_expect_continue(void)
{
    cli *c = cli_open();
    cli_send(c, "POST /g194 HTTP/1.1\r\nHost: @H\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    got g = recv_for(&S1, "/g194", 0, 2000);
    if (g.rc) { rep("G194", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    cli_read(c, 500, 500);
    int at_receipt = strstr(c->buf, " 100 ") != NULL;
    const char *before = cli_take(c, NULL);
    rep("G194", "before-body-read=%s", before);
    op *o = op_new();
    char *buf = calloc(1, 64);
    ULONG rc;
    PROBE_CALL(rc, HttpReceiveRequestEntityBody(S1.q, g.r->RequestId, 0, buf, 63, NULL, &o->ov));
    unsigned long long t0 = ps_now_ms();
    cli_read_until(c, "\r\n\r\n", 2000, 50);
    int at_read = strstr(c->buf, " 100 ") != NULL;
    const char *during = cli_take(c, NULL);
    (void)t0;
    cli_send(c, "hello");
    ULONG b = finish(&S1, o, rc, 2000);
    rep("G194", "100-at-receipt=%s 100-at-first-read=%s read-call=%s during-read=%s body=%s:%s",
        at_receipt ? "yes" : "no", at_read ? "yes" : "no", rc == ERROR_IO_PENDING ? "pending" : ecode(rc), during,
        ecode(b), b == NO_ERROR ? escn(buf, o->bytes) : "");
    answer_ok(&S1, g.r->RequestId);
    cli_read(c, 800, 300);
    rep("G194", "client=%s", cli_take(c, NULL));
    cli_rst(c);
}

/* F195: a 100 Continue once the response head has gone out. */
static void m_continue_after_head(void)
{
    cli *c = cli_open();
    cli_send(c, "POST /f195 HTTP/1.1\r\nHost: @H\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    got g = recv_for(&S1, "/f195", 0, 2000);
    if (g.rc) { rep("F195", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentLength, "2");
    ULONG h = send_resp(&S1, g.r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, x);
    cli_read(c, 500, 300);
    op *o = op_new();
    char *buf = calloc(1, 64);
    ULONG rc;
    PROBE_CALL(rc, HttpReceiveRequestEntityBody(S1.q, g.r->RequestId, 0, buf, 63, NULL, &o->ov));
    cli_read(c, 600, 600);
    cli_send(c, "hello");
    ULONG b = finish(&S1, o, rc, 2000);
    ULONG e = send_body(&S1, g.r->RequestId, 0, "ok");
    cli_read(c, 1000, 400);
    const char *h200 = strstr(c->buf, "HTTP/1.1 200");
    const char *h100 = strstr(c->buf, "100 Continue");
    rep("F195", "head=%s body-read=%s end-send=%s 100=%s client=%s", ecode(h), ecode(b), ecode(e),
        !h100 ? "none" : (h200 && h100 > h200) ? "after-head" : "before-head", cli_take(c, NULL));
    cli_rst(c);
}

/* F196: malformed Host values; valid controls. */
static void m_bad_hosts(void)
{
    static const char *hosts[] = { "localhost", "other.example", "x:99999", "localhost:99999", "a b", "u@x",
                                   "u@localhost", "[::1", "localhost:", "[::1]" };
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        char id[16], path[32];
        snprintf(id, sizeof(id), "F196%c", (char)('a' + i));
        snprintf(path, sizeof(path), "/f196%c", (char)('a' + i));
        cli *c = cli_open();
        cli_send(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, hosts[i]);
        got g = recv_req(&S1, 0, 0, 0, 400);
        const char *deliv = "no";
        if (g.rc == NO_ERROR) { deliv = "yes"; answer_ok(&S1, g.r->RequestId); }
        cli_read(c, 1000, 300);
        char *nl = strstr(c->buf, "\r\n");
        if (nl) { *nl = 0; c->len = (size_t)(nl - c->buf); }
        rep(id, "host=%s delivered=%s%s%s status-line=%s", esc(hosts[i]), deliv, g.rc == NO_ERROR ? " cooked-host=" : "",
            g.rc == NO_ERROR ? narrow(g.r->CookedUrl.pHost, g.r->CookedUrl.HostLength / 2) : "", cli_take(c, NULL));
        cli_rst(c);
    }
}

/* TRL: where the trailers of a chunked request go. */
static void m_request_trailers(void)
{
    cli *c = cli_open();
    cli_send(c, "POST /trl HTTP/1.1\r\nHost: @H\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"
                "5\r\nhello\r\n0\r\nX-T: v\r\nX-U: w\r\n\r\n");
    ps_sleep_ms(200);
    got g = recv_for(&S1, "/trl", 0, 2000);
    if (g.rc) { rep("TRL", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    char codes[256], all[256];
    read_all_body(&S1, g.r->RequestId, codes, sizeof(codes), all, sizeof(all), 1500);
    rep("TRL", "trailer-count=%u trailer-header=%s unknown=%s reads=%s body=%s", g.r->Headers.TrailerCount,
        known(g.r, HttpHeaderTrailer), unknown_headers(g.r), codes, esc(all));
    answer_ok(&S1, g.r->RequestId);
    cli_read_until(c, "\r\n\r\nok", 1000, 100);
    c->len = 0;
    rep("TRL", "reusable=%s", reuse(&S1, c, "/trl-again"));
    cli_rst(c);
}

/* F024: more than 100 entity chunks in one send. */
static void m_many_chunks(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /f024 HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g = recv_for(&S1, "/f024", 0, 2000);
    if (g.rc) { rep("F024", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    static HTTP_DATA_CHUNK ch[101];
    for (int i = 0; i < 101; i++) {
        ch[i].DataChunkType = HttpDataChunkFromMemory;
        ch[i].FromMemory.pBuffer = (void *)"x";
        ch[i].FromMemory.BufferLength = 1;
    }
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentLength, "101");
    x->r.EntityChunkCount = 101;
    x->r.pEntityChunks = ch;
    ULONG a = send_resp(&S1, g.r->RequestId, 0, x);
    ULONG b = NOCOMP;
    if (a != NO_ERROR) {
        x->r.EntityChunkCount = 100;
        resp_known(x, HttpHeaderContentLength, "100");
        b = send_resp(&S1, g.r->RequestId, 0, x);
    }
    cli_read(c, 1000, 300);
    size_t n = c->len;
    char *body = strstr(c->buf, "\r\n\r\n");
    rep("F024", "send-101=%s send-100=%s client-body-bytes=%ld", ecode(a), ecode(b),
        body ? (long)(n - (size_t)(body + 4 - c->buf)) : -1L);
    cli_rst(c);
}

/* F042: BytesReceived and the body flag when the body arrived with the head. */
static void m_bytes_received(void)
{
    cli *c = cli_open();
    char head[128];
    snprintf(head, sizeof(head), "POST /f042 HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n\r\n", hosthdr);
    cli_send(c, "%shello", head);
    ps_sleep_ms(200);
    got g = recv_for(&S1, "/f042", 0, 2000);
    if (g.rc) { rep("F042", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    size_t headlen = strlen(head);
    rep("F042", "bytes-received=head%+ld more-body-flag=%lu", (long)g.r->BytesReceived - (long)headlen,
        (unsigned long)(g.r->Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS));
    got g2;
    memset(&g2, 0, sizeof(g2));
    char codes[128], all[64];
    read_all_body(&S1, g.r->RequestId, codes, sizeof(codes), all, sizeof(all), 1000);
    rep("F042", "reads=%s body=%s", codes, esc(all));
    answer_ok(&S1, g.r->RequestId);
    /* with COPY_BODY */
    cli_read(c, 500, 100);
    c->len = 0;
    cli_send(c, "POST /f042b HTTP/1.1\r\nHost: @H\r\nContent-Length: 5\r\n\r\nhello");
    ps_sleep_ms(200);
    g2 = recv_for(&S1, "/f042b", HTTP_RECEIVE_REQUEST_FLAG_COPY_BODY, 2000);
    if (g2.rc == NO_ERROR) {
        rep("F042", "copy-body chunks=%u first=%s more-body-flag=%lu", g2.r->EntityChunkCount,
            g2.r->EntityChunkCount ? escn(g2.r->pEntityChunks[0].FromMemory.pBuffer, g2.r->pEntityChunks[0].FromMemory.BufferLength) : "none",
            (unsigned long)(g2.r->Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS));
        answer_ok(&S1, g2.r->RequestId);
    } else rep("F042", "copy-body receive=%s", ecode(g2.rc));
    cli_rst(c);
}

/* F072: a disconnect wait when HTTP.sys closes the connection after a DISCONNECT response. */
static void m_wait_after_disconnect_flag(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /f072 HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g = recv_for(&S1, "/f072", 0, 2000);
    if (g.rc) { rep("F072", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    ULONG wrc;
    op *w = wait_disc(&S1, g.r->ConnectionId, 1, &wrc);
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentLength, "0");
    ULONG a = send_resp(&S1, g.r->RequestId, HTTP_SEND_RESPONSE_FLAG_DISCONNECT, x);
    const char *st = opstate(&S1, w, wrc, 2000); /* the client has not closed yet */
    cli_read(c, 800, 400);
    rep("F072", "send=%s wait-before-client-close=%s client=%s end=%s", ecode(a), st, cli_take(c, NULL), cli_end(c));
    cli_close(c);
    if (!w->done && (wrc == ERROR_IO_PENDING || wrc == NO_ERROR)) rep("F072", "wait-after-client-close=%s", opstate(&S1, w, wrc, 2000));
}

/* F180: control and non-ASCII bytes in header values, both directions. */
static void m_header_bytes(void)
{
    resp_t *x = resp_new(200, "OK");
    resp_unknown(x, "X-Ctl", "a\x01" "b\x7f" "c\xc3\xa9");
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("F180a", "/f180a", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
    static const char *vals[] = { "a\xff" "b", "a\x7f" "b", "a\x01" "b", "a\tb" };
    static const char *ids[] = { "F180b", "F180c", "F180d", "F180e" };
    for (int i = 0; i < 4; i++) {
        cli *c = cli_open();
        char path[32];
        snprintf(path, sizeof(path), "/%s", ids[i]);
        cli_send(c, "GET %s HTTP/1.1\r\nHost: @H\r\nX-V: %s\r\n\r\n", path, vals[i]);
        got g = recv_req(&S1, 0, 0, 0, 500);
        if (g.rc == NO_ERROR) answer_ok(&S1, g.r->RequestId);
        cli_read(c, 1000, 300);
        char *nl = strstr(c->buf, "\r\n");
        if (nl) { *nl = 0; c->len = (size_t)(nl - c->buf); }
        rep(ids[i], "value=%s delivered=%s%s%s status-line=%s", esc(vals[i]), g.rc == NO_ERROR ? "yes" : "no",
            g.rc == NO_ERROR ? " as=" : "", g.rc == NO_ERROR ? unknown_headers(g.r) : "", cli_take(c, NULL));
        cli_rst(c);
    }
}

/* F189: no reason phrase. F190: PATCH. */
static void m_reason_and_verb(void)
{
    resp_t *x = resp_new(404, NULL);
    resp_known(x, HttpHeaderContentLength, "0");
    exchange("F189", "/f189", "GET %s HTTP/1.1\r\nHost: @H\r\n\r\n", x, 0, NULL, 0);
    cli *c = cli_open();
    cli_send(c, "PATCH /f190 HTTP/1.1\r\nHost: @H\r\nContent-Length: 0\r\n\r\n");
    got g = recv_for(&S1, "/f190", 0, 2000);
    if (g.rc == NO_ERROR) {
        rep("F190", "verb=%d unknown-verb=%s", (int)g.r->Verb, escn(g.r->pUnknownVerb, g.r->UnknownVerbLength));
        answer_ok(&S1, g.r->RequestId);
    } else rep("F190", "receive=%s", ecode(g.rc));
    cli_rst(c);
}

/* F192: CancelIoEx on a pending body read; the request stays usable. */
static void m_cancel_body_read(void)
{
    cli *c = cli_open();
    cli_send(c, "POST /f192 HTTP/1.1\r\nHost: @H\r\nContent-Length: 5\r\n\r\n");
    got g = recv_for(&S1, "/f192", 0, 2000);
    if (g.rc) { rep("F192", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    op *o = op_new();
    char *buf = calloc(1, 64);
    ULONG rc;
    PROBE_CALL(rc, HttpReceiveRequestEntityBody(S1.q, g.r->RequestId, 0, buf, 63, NULL, &o->ov));
    BOOL ok = CancelIoEx(S1.q, &o->ov);
    const char *st = opstate(&S1, o, rc, 1000);
    cli_send(c, "hello");
    char codes[128], all[64];
    read_all_body(&S1, g.r->RequestId, codes, sizeof(codes), all, sizeof(all), 1500);
    ULONG a = answer_ok(&S1, g.r->RequestId);
    cli_read_until(c, "\r\n\r\nok", 1000, 100);
    rep("F192", "read=%s cancel=%s cancelled-read=%s next-reads=%s body=%s send=%s client-status=%s",
        rc == ERROR_IO_PENDING ? "pending" : ecode(rc), ok ? "TRUE" : "FALSE", st, codes, esc(all), ecode(a),
        strncmp(c->buf, "HTTP/1.1 200", 12) == 0 ? "200" : "other");
    cli_rst(c);
}

/* PAR: malformed input the parser must refuse: DEL in a header value is F180c; a chunk-size line
 * with junk after the size; an obs-fold line; a bare LF line end. */
/* Open questions 21 and 22: URL ACL reservations and the SNI binding's size, through the
 * configuration API (needs an administrator; everything made is deleted again). */
typedef struct { SOCKADDR_STORAGE IpPort; PWSTR Host; } probe_sni_key;   /* F-114: 136 bytes */
typedef struct { probe_sni_key KeyDesc; HTTP_SERVICE_CONFIG_SSL_PARAM ParamDesc; } probe_sni_set;

static ULONG urlacl(int set, const char *prefix, const char *sddl)
{
    WCHAR p[128], d[128];
    wide(p, prefix);
    wide(d, sddl ? sddl : "");
    HTTP_SERVICE_CONFIG_URLACL_SET a;
    memset(&a, 0, sizeof(a));
    a.KeyDesc.pUrlPrefix = p;
    a.ParamDesc.pStringSecurityDescriptor = sddl ? d : NULL;
    ULONG rc;
    if (set) PROBE_CALL(rc, HttpSetServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &a, sizeof(a), NULL));
    else PROBE_CALL(rc, HttpDeleteServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &a, sizeof(a), NULL));
    return rc;
}

static void m_service_config(void)
{
    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    ULONG rc;
    PROBE_CALL(rc, HttpInitialize(v, HTTP_INITIALIZE_CONFIG, NULL));
    if (rc != NO_ERROR) { rep("Q21", "config-init=%s", ecode(rc)); return; }
    char good[64], noslash[64];
    snprintf(good, sizeof(good), "http://+:%u/q21/", port2);
    snprintf(noslash, sizeof(noslash), "http://+:%u/q21b", port2);
    ULONG ok = urlacl(1, good, "D:(A;;GX;;;WD)");
    ULONG twice = urlacl(1, good, "D:(A;;GX;;;WD)");
    ULONG del = urlacl(0, good, NULL), again = urlacl(0, good, NULL);
    rep("Q21", "set=%s twice=%s delete=%s delete-again=%s", ecode(ok), ecode(twice), ecode(del), ecode(again));
    snprintf(good, sizeof(good), "http://+:%u/q21c/", port2);
    ULONG bad = urlacl(1, good, "D:(nonsense)");
    if (bad == NO_ERROR) urlacl(0, good, NULL);
    ULONG badsid = urlacl(1, good, "D:(A;;GX;;;S-1-99)");
    if (badsid == NO_ERROR) urlacl(0, good, NULL);
    ULONG slash = urlacl(1, noslash, "D:(A;;GX;;;WD)");
    if (slash == NO_ERROR) urlacl(0, noslash, NULL);
    rep("Q21", "bad-sddl=%s bad-sid=%s no-trailing-slash=%s", ecode(bad), ecode(badsid), ecode(slash));
    /* Q22: an SNI binding of a certificate that is not in the store, given the full 216 bytes and 8 fewer */
    probe_sni_set sni;
    memset(&sni, 0, sizeof(sni));
    SOCKADDR_IN *a = (SOCKADDR_IN *)&sni.KeyDesc.IpPort;
    a->sin_family = AF_INET;
    a->sin_port = (USHORT)((port2 >> 8) | ((port2 & 0xff) << 8));
    WCHAR host[32];
    wide(host, "q22.invalid");
    sni.KeyDesc.Host = host;
    UCHAR hash[20];
    memset(hash, 0x5a, sizeof(hash));
    sni.ParamDesc.SslHashLength = 20;
    sni.ParamDesc.pSslHash = hash;
    ULONG full, shorter;
    PROBE_CALL(full, HttpSetServiceConfiguration(NULL, (HTTP_SERVICE_CONFIG_ID)5, &sni, (ULONG)sizeof(sni), NULL));
    if (full == NO_ERROR) HttpDeleteServiceConfiguration(NULL, (HTTP_SERVICE_CONFIG_ID)5, &sni, (ULONG)sizeof(sni), NULL);
    PROBE_CALL(shorter, HttpSetServiceConfiguration(NULL, (HTTP_SERVICE_CONFIG_ID)5, &sni, (ULONG)sizeof(sni) - 8, NULL));
    if (shorter == NO_ERROR) HttpDeleteServiceConfiguration(NULL, (HTTP_SERVICE_CONFIG_ID)5, &sni, (ULONG)sizeof(sni), NULL);
    rep("Q22", "sni-set-size=%u full=%s shorter=%s", (unsigned)sizeof(sni), ecode(full), ecode(shorter));
    HttpTerminate(HTTP_INITIALIZE_CONFIG, NULL);
}

static void m_malformed(void)
{
    static const char *reqs[] = {
        "POST /para HTTP/1.1\r\nHost: @H\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n",
        "POST /parb HTTP/1.1\r\nHost: @H\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n",
        "GET /parc HTTP/1.1\r\nHost: @H\r\nX-F: a\r\n b\r\n\r\n",
        "GET /pard HTTP/1.1\nHost: @H\n\n",
        "GET /pare HTTP/1.1\r\nHost: @H\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    };
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof(id), "PAR%c", 'a' + i);
        cli *c = cli_open();
        cli_send(c, reqs[i]);
        got g = recv_req(&S1, 0, 0, 0, 500);
        char codes[128] = "", all[64] = "";
        if (g.rc == NO_ERROR) {
            read_all_body(&S1, g.r->RequestId, codes, sizeof(codes), all, sizeof(all), 800);
            answer_ok(&S1, g.r->RequestId);
        }
        cli_read(c, 1000, 300);
        char *nl = strstr(c->buf, "\r\n");
        if (nl) { *nl = 0; c->len = (size_t)(nl - c->buf); }
        if (g.rc == NO_ERROR)
            rep(id, "delivered=yes unknown=%s reads=%s body=%s status-line=%s", unknown_headers(g.r), codes, esc(all), cli_take(c, NULL));
        else rep(id, "delivered=no status-line=%s", cli_take(c, NULL));
        cli_rst(c);
    }
}

/* Open question 48: how much of a request body HTTP.sys has read from TCP before the application's
 * first body read. The client sends 192 KiB at once (loopback buffers take that much without a reader),
 * the server waits a second, then reads with a 1 MiB buffer: the first read's byte count is what was
 * buffered ahead (or the granularity HTTP.sys hands out). */
static void m_body_read_ahead(void)
{
    enum { BODY = 192 * 1024 };
    cli *c = cli_open();
    cli_send(c, "POST /q48 HTTP/1.1\r\nHost: @H\r\nContent-Length: %u\r\n\r\n", (unsigned)BODY);
    got g = recv_for(&S1, "/q48", 0, 2000);
    if (g.rc) { rep("Q48", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    char *body = malloc(BODY);
    memset(body, 'b', BODY);
    cli_sendn(c, body, BODY);
    ps_sleep_ms(1000);
    DWORD n1 = 0, n2 = 0;
    char *buf = malloc(1024 * 1024 + 1);
    ULONG r1 = recv_body(&S1, g.r->RequestId, buf, 1024 * 1024, &n1, 2000);
    ULONG r2 = r1 == NO_ERROR && n1 < BODY ? recv_body(&S1, g.r->RequestId, buf, 1024 * 1024, &n2, 2000) : NO_ERROR;
    ULONG a = answer_ok(&S1, g.r->RequestId);
    rep("Q48", "first-read=%s,%lu second-read=%s,%lu of=%u send=%s", ecode(r1), (unsigned long)n1, ecode(r2),
        (unsigned long)n2, (unsigned)BODY, ecode(a));
    cli_rst(c);
}

/* Open questions 43 and 44: the kernel cache's key. A GET /q43?x=1 is answered with a TimeToLive
 * policy; then /q43?x=2 (does the query count?), HEAD /q43?x=1 (is HEAD served from the GET's entry?)
 * and GET /q43?x=1 again (a hit, for reference): for each, whether the application saw it. */
static void m_cache_key(void)
{
    cli *c = cli_open();
    cli_send(c, "GET /q43?x=1 HTTP/1.1\r\nHost: @H\r\n\r\n");
    got g = recv_for(&S1, "/q43?x=1", 0, 2000);
    if (g.rc) { rep("Q43", "receive=%s", ecode(g.rc)); cli_rst(c); return; }
    resp_t *x = resp_new(200, "OK");
    resp_known(x, HttpHeaderContentType, "text/plain");
    resp_known(x, HttpHeaderCacheControl, "public, max-age=60");
    resp_body(x, "cached");
    HTTP_CACHE_POLICY policy = {HttpCachePolicyTimeToLive, 60};
    op *o = op_new();
    ULONG rc;
    PROBE_CALL(rc, HttpSendHttpResponse(S1.q, g.r->RequestId, 0, &x->r, &policy, NULL, NULL, 0, &o->ov, NULL));
    rc = finish(&S1, o, rc, 3000);
    cli_read_until(c, "cached", 1500, 100);
    cli_rst(c);
    const char *paths[] = {"/q43?x=2", "/q43?x=1", "/q43?x=1"};
    const char *verbs[] = {"GET", "HEAD", "GET"};
    char seen[3][16];
    for (int i = 0; i < 3; i++) {
        cli *d = cli_open();
        cli_send(d, "%s %s HTTP/1.1\r\nHost: @H\r\n\r\n", verbs[i], paths[i]);
        got h = recv_for(&S1, paths[i], 0, 700);
        if (h.rc == NO_ERROR) {
            answer_ok(&S1, h.r->RequestId);
            snprintf(seen[i], sizeof(seen[i]), "app");
        } else {
            cli_read(d, 500, 200);
            snprintf(seen[i], sizeof(seen[i]), "%s", strstr(d->buf, "cached") ? "cache" : strncmp(d->buf, "HTTP/1.1 200", 12) == 0 ? "cache-head" : "none");
        }
        cli_rst(d);
    }
    WCHAR prefix[96];
    char url[96];
    snprintf(url, sizeof(url), "http://localhost:%u/q43", port1);
    wide(prefix, url);
    ULONG f;
    PROBE_CALL(f, HttpFlushResponseCache(S1.q, prefix, HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE, NULL));
    rep("Q43", "send=%s other-query=%s head=%s same-again=%s flush=%s", ecode(rc), seen[0], seen[1], seen[2], ecode(f));
}

static void m_body_cut_fin(void) { m_body_cut("Q18a", 0); }
static void m_body_cut_rst(void) { m_body_cut("Q18b", 1); }

static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ',')) return 1;
    return 0;
}

static const struct { const char *name; void (*fn)(void); } measurements[] = {
    { "wait-unknown", m_wait_unknown },
    { "two-waits", m_two_waits },
    { "queue-close", m_queue_close },
    { "shutdown", m_shutdown },
    { "wait-on-fin", m_wait_on_fin },
    { "bodiless-200", m_bodiless_200 },
    { "own-replies", m_own_replies },
    { "moredata-no-length", m_moredata_no_length },
    { "request-queue-timer", m_request_queue_timer },
    { "threshold", m_threshold },
    { "cancel-overlapped", m_cancel_overlapped },
    { "repeated-response-headers", m_repeated_response_headers },
    { "interim-103", m_interim_103 },
    { "moredata-skip", m_moredata_skip },
    { "server-header", m_server_header },
    { "repeated-request-headers", m_repeated_request_headers },
    { "body-cut-fin", m_body_cut_fin },
    { "body-cut-rst", m_body_cut_rst },
    { "head-body", m_head_body },
    { "bodiless-statuses", m_bodiless_statuses },
    { "header-slots", m_header_slots },
    { "date-slot", m_date_slot },
    { "moredata-cancel", m_moredata_cancel },
    { "expect-continue", m_expect_continue },
    { "continue-after-head", m_continue_after_head },
    { "bad-hosts", m_bad_hosts },
    { "request-trailers", m_request_trailers },
    { "many-chunks", m_many_chunks },
    { "bytes-received", m_bytes_received },
    { "wait-after-disconnect-flag", m_wait_after_disconnect_flag },
    { "header-bytes", m_header_bytes },
    { "reason-and-verb", m_reason_and_verb },
    { "cancel-body-read", m_cancel_body_read },
    { "malformed", m_malformed },
    { "service-config", m_service_config },
    { "body-read-ahead", m_body_read_ahead },
    { "cache-key", m_cache_key },
};

int main(int argc, char **argv)
{
    const char *only = argc > 2 ? argv[2] : NULL; /* a comma list of measurement names */
    if (argc > 1 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < sizeof(measurements) / sizeof(measurements[0]); i++) printf("%s\n", measurements[i].name);
        return 0;
    }
    if (argc > 1) port1 = (unsigned short)atoi(argv[1]);
    port2 = (unsigned short)(port1 + 1);
    snprintf(hosthdr, sizeof(hosthdr), "localhost:%u", port1);
    ps_install_guard();
    ps_startup();
    fprintf(stderr, "windows-probe on %s, ports %u and %u\n", PROBE_PLATFORM, port1, port2);
    unsigned long long t0 = ps_now_ms();
    m_session_before_init();

    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    ULONG rc = HttpInitialize(v, HTTP_INITIALIZE_SERVER, NULL);
    ULONG rc2 = HttpCreateServerSession(v, &sess, 0);
    iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    char url[128];
    snprintf(url, sizeof(url), "http://localhost:%u/", port1);
    ULONG rc3 = srv_make(&S1, url, 1);
    snprintf(url, sizeof(url), "http://localhost:%u/p/", port2);
    ULONG rc4 = srv_make(&S2, url, 1);
    snprintf(url, sizeof(url), "http://localhost:%u/n/", port2);
    ULONG rc5 = srv_make(&S3, url, 0);
    rep("P01", "init=%s session=%s register=%s register-port2=%s,%s", ecode(rc), ecode(rc2), ecode(rc3), ecode(rc4),
        ecode(rc5));
    if (rc || rc2 || rc3) return 1;

    for (size_t i = 0; i < sizeof(measurements) / sizeof(measurements[0]); i++) {
        if (only && !listed(only, measurements[i].name)) continue;
        measurements[i].fn();
    }

    HttpCloseRequestQueue(S1.q);
    HttpCloseRequestQueue(S2.q);
    HttpCloseUrlGroup(S1.grp);
    HttpCloseUrlGroup(S2.grp);
    HttpCloseUrlGroup(S3.grp);
    HttpCloseServerSession(sess);
    HttpTerminate(HTTP_INITIALIZE_SERVER, NULL);
    unsigned long long el = ps_now_ms() - t0;
    fprintf(stderr, "windows-probe: %llu ms\n", el);
    rep("P99", "done within-60s=%s", el < 60000 ? "yes" : "no");
    return 0;
}
