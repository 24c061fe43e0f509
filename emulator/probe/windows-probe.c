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
 * Run:               windows-probe [PORT]      (uses PORT and PORT+1; default 28351; on Windows
 *                                              as administrator or with URL ACLs for both ports)
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
    int end;      /* 0 still open, 1 FIN seen, 2 reset/error */
} cli;

static cli *cli_open_port(unsigned short port)
{
    cli *c = calloc(1, sizeof(*c));
    c->s = ps_connect(port, 3000);
    if (c->s == PSOCK_BAD) c->end = 2;
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
/* Sends a formatted string; "@H" stands for "localhost:PORT". */
static void cli_send(cli *c, const char *fmt, ...)
{
    char f[8192], out[16384];
    size_t j = 0;
    for (size_t i = 0; fmt[i] && j < sizeof(f) - 64; i++) {
        if (fmt[i] == '@' && fmt[i + 1] == 'H') { j += (size_t)snprintf(f + j, 64, "%s", hosthdr); i++; }
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
static const char *cli_end(const cli *c) { return c->end == 0 ? "open" : c->end == 1 ? "fin" : "reset"; }
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
static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}
/* Is the connection still usable: a second request on it gets an answer (the server side is
 * driven by the caller through serve_simple). Returns the status line, escaped, or a reason. */

/* ---------------------------------------------------------------- server --------------------- */

typedef struct {
    HTTP_URL_GROUP_ID grp;
    HANDLE q;
    int skip;  /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS set */
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

static ULONG srv_make(srv *s, const char *url, int bind)
{
    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    WCHAR w[256];
    wide(w, url);
    memset(s, 0, sizeof(*s));
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

int main(int argc, char **argv)
{
    if (argc > 1) port1 = (unsigned short)atoi(argv[1]);
    port2 = (unsigned short)(port1 + 1);
    snprintf(hosthdr, sizeof(hosthdr), "localhost:%u", port1);
    ps_install_guard();
    ps_startup();
    fprintf(stderr, "windows-probe on %s, ports %u and %u\n", PROBE_PLATFORM, port1, port2);
    m_session_before_init();

    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    ULONG rc = HttpInitialize(v, HTTP_INITIALIZE_SERVER, NULL);
    ULONG rc2 = HttpCreateServerSession(v, &sess, 0);
    iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    char url[128];
    snprintf(url, sizeof(url), "http://localhost:%u/", port1);
    ULONG rc3 = srv_make(&S1, url, 1);
    rep("P01", "init=%s session=%s register=%s", ecode(rc), ecode(rc2), ecode(rc3));
    if (rc || rc2 || rc3) return 1;

    m_bodiless_200();
    m_server_header();
    m_head_body();

    HttpCloseRequestQueue(S1.q);
    HttpCloseUrlGroup(S1.grp);
    HttpCloseServerSession(sess);
    HttpTerminate(HTTP_INITIALIZE_SERVER, NULL);
    rep("P99", "done");
    return 0;
}
