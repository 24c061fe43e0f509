/*
 * h2: HTTP/2 on a TLS connection whose handshake chose "h2" by ALPN (tls.c), as HTTP.sys shows it
 * through the API (chapter D of the behaviour reference, F-153..F-159, F-186..F-188). libnghttp2
 * does the framing, HPACK and flow control; this file maps its streams onto the emulator's objects:
 *
 * - Every stream is a connection of its own as the API sees it (F-77, F-153): a conn with no socket
 *   (h2parent = the TCP connection), its own ConnectionId, one request, its own disconnect waits.
 * - A request's pseudo-headers and fields are rebuilt into an HTTP/1.1 head and parsed by the same
 *   parser, so routing, URL cooking and the request layout are the HTTP/1.1 code; the request says
 *   Version 1.1 and HTTP_REQUEST_FLAG_HTTP2 (F-186). DATA goes into the request's body buffer, and the
 *   stream's window opens only as the application reads (F-155 framing, flow control below).
 * - Response heads become HEADERS; the caller's chunks become DATA frames, read from the caller's
 *   memory only when the frame is written to the socket, so a send completes when its bytes are
 *   written (out.c counts them for the stream); the final send ends the stream (F-156).
 *
 * Ownership: the TCP connection owns its h2conn (freed in emu_h2_conn_gone, after its streams). An
 * h2stream is nghttp2's stream user data, created at the request's first HEADERS and freed when
 * nghttp2 closes the stream; the stream connection and the h2stream point at each other until one
 * goes (sc->h2st, st->sc). Everything runs under g_emu_lock.
 */
#define _GNU_SOURCE
#include "server.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define H2_MAX_STREAMS 100            /* SETTINGS_MAX_CONCURRENT_STREAMS */
#define H2_STREAM_WINDOW 65535        /* body bytes a stream may hold unread */
#define H2_CONN_WINDOW (1 << 20)      /* body bytes all streams of a connection may hold unread */
#define H2_OUT_MAX (256 * 1024)       /* queued output before the session waits for the socket */
#define H2_HEAD_MAX (EMU_MAX_REQUEST_BYTES + 4096)
#define H2_GOAWAY_AFTER 200           /* F-157: the final GOAWAY after this many more streams */

/* A piece of a stream's response body not framed yet: the caller's memory, or a copy (owned). */
typedef struct piece {
    const char *p;
    size_t len;
    int owned;
    struct piece *next;
    char data[];
} piece;

typedef struct h2stream {
    int32_t id;
    conn *parent;
    conn *sc;                  /* the stream's connection, NULL once it ended or before the request */
    char *method, *path, *authority;   /* pseudo-headers while the request HEADERS arrive */
    char *fields;              /* the other fields as HTTP/1.1 lines */
    size_t fields_len, fields_cap;
    char *cookie;              /* cookie crumbs joined with "; " (RFC 9113 8.2.3) */
    size_t cookie_len;
    int has_cl, too_big, is_head;
    int remote_closed;         /* END_STREAM received */
    int ended;                 /* END_STREAM sent */
    int local_closed;          /* END_STREAM or RST_STREAM sent */
    int final;                 /* the final send was issued: END_STREAM after the pieces */
    piece *ph, *pt;
    size_t pending;            /* bytes in the pieces */
    nghttp2_nv *trailers;      /* F-159: sent after the last piece */
    size_t ntrailers;
    char *tbuf;
    uint32_t rst_code;         /* F-158: HttpRequestPropertyStreamError */
    int rst_set;
    struct h2stream *next;
} h2stream;

typedef struct h2conn {
    nghttp2_session *s;
    conn *streams;             /* stream connections, through h2next */
    h2stream *sts;             /* the streams nghttp2 holds */
    int in_cb;                 /* inside nghttp2: no nghttp2_session_send now */
    int dying;                 /* the TCP connection is going: no more frames */
    int notice_sent, since_notice, final_goaway;
} h2conn;

static h2stream *stream_of(h2conn *h, int32_t id)
{
    return h->s ? nghttp2_session_get_stream_user_data(h->s, id) : NULL;
}

static void pieces_free(h2stream *st, int lent_only)
{
    piece **pp = &st->ph;
    st->pt = NULL;
    while (*pp) {
        piece *p = *pp;
        if (lent_only && p->owned) { st->pt = p; pp = &p->next; continue; }
        *pp = p->next;
        st->pending -= p->len;
        free(p);
        emu_count(CNT_H2, -1);
    }
}

static void piece_add(h2stream *st, const char *data, size_t len, int copy)
{
    if (len == 0) return;
    piece *p = malloc(sizeof(*p) + (copy ? len : 0));
    if (p == NULL) abort();
    if (copy) memcpy(p->data, data, len);
    p->p = copy ? p->data : data;
    p->len = len;
    p->owned = copy;
    p->next = NULL;
    if (st->pt) st->pt->next = p;
    else st->ph = p;
    st->pt = p;
    st->pending += len;
    emu_count(CNT_H2, 1);
}

static void stream_free(h2stream *st)
{
    pieces_free(st, 0);
    free(st->method);
    free(st->path);
    free(st->authority);
    free(st->fields);
    free(st->cookie);
    free(st->trailers);
    free(st->tbuf);
    free(st);
    emu_count(CNT_H2, -1);
}

static void stream_unlink(h2conn *h, h2stream *st)
{
    for (h2stream **pp = &h->sts; *pp; pp = &(*pp)->next) {
        if (*pp == st) { *pp = st->next; return; }
    }
}

/* F-157: once the notice went out, the real GOAWAY follows when no stream is left (or after
 * H2_GOAWAY_AFTER more streams); the connection then closes. */
static void maybe_final_goaway(h2conn *h)
{
    if (!h->notice_sent || h->final_goaway || h->dying) return;
    if (h->since_notice < H2_GOAWAY_AFTER && (h->streams != NULL || h->sts != NULL)) return;
    nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h->s), NGHTTP2_NO_ERROR,
                          NULL, 0);
    h->final_goaway = 1;
}

static void update_reading(conn *c)
{
    h2conn *h = c->h2;
    int want = !c->closing && !c->closed && h != NULL && nghttp2_session_want_read(h->s) && c->out_bytes < 4 * H2_OUT_MAX;
    if (want != c->reading) {
        c->reading = want;
        emu_conn_update_events(c);
    }
}

/* ---- nghttp2 callbacks (user_data: the TCP connection) ---- */

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s; (void)flags;
    conn *c = ud;
    if (c->out_bytes >= H2_OUT_MAX) return NGHTTP2_ERR_WOULDBLOCK;
    emu_conn_write(c, (const char *)data, len);
    return (ssize_t)len;
}

/* A DATA frame: its header copied, its payload lent from the caller's memory (NO_COPY). Never
 * WOULDBLOCK: a frame nghttp2 had to retry later could name pieces a cancel has dropped since;
 * the frame is taken whole and PAUSE stops the session once the output is full. */
static int on_send_data(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd, size_t length,
                        nghttp2_data_source *src, void *ud)
{
    (void)s;
    conn *c = ud;
    h2stream *st = src->ptr;
    if (frame->data.padlen != 0 || length > st->pending) return NGHTTP2_ERR_CALLBACK_FAILURE;
    emu_conn_write(c, (const char *)framehd, 9);
    while (length > 0) {
        piece *p = st->ph;
        size_t k = p->len < length ? p->len : length;
        if (p->owned || st->sc == NULL) emu_conn_write(c, p->p, k);
        else emu_conn_lend_for(c, st->sc, p->p, k);
        p->p += k;
        p->len -= k;
        st->pending -= k;
        length -= k;
        if (p->len == 0) {
            st->ph = p->next;
            if (st->ph == NULL) st->pt = NULL;
            free(p);
            emu_count(CNT_H2, -1);
        }
    }
    return c->out_bytes >= H2_OUT_MAX ? NGHTTP2_ERR_PAUSE : 0;
}

static ssize_t on_data_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                            nghttp2_data_source *src, void *ud)
{
    (void)buf; (void)ud;
    h2stream *st = src->ptr;
    if (st->pending == 0 && !st->final) return NGHTTP2_ERR_DEFERRED; /* MORE_DATA: the stream stays open */
    size_t n = st->pending < length ? st->pending : length;
    if (n > 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (n == st->pending && st->final) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (st->ntrailers > 0) {
            /* F-159, F-187: the trailers chunk goes out as a HEADERS frame that ends the stream. */
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            if (nghttp2_submit_trailer(s, id, st->trailers, st->ntrailers) != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
    }
    return (ssize_t)n;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    conn *c = ud;
    h2stream *st = frame->hd.stream_id ? stream_of(c->h2, frame->hd.stream_id) : NULL;
    if (st == NULL) return 0;
    if (frame->hd.type == NGHTTP2_RST_STREAM) st->local_closed = 1;
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        st->ended = st->local_closed = 1;
        if (st->sc != NULL) emu_conn_mark_fin(c, st->sc); /* the final send completes when this is written */
        /* The response is complete and the request is dead (F-64): a client still sending its body is
         * told to stop without an error, as RFC 9113 8.1 allows. */
        if (!st->remote_closed) nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    conn *c = ud;
    h2conn *h = c->h2;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    h2stream *st = calloc(1, sizeof(*st));
    if (st == NULL) return NGHTTP2_ERR_CALLBACK_FAILURE;
    emu_count(CNT_H2, 1);
    st->id = frame->hd.stream_id;
    st->parent = c;
    if (nghttp2_session_set_stream_user_data(s, st->id, st) != 0) { stream_free(st); return 0; } /* not opened */
    st->next = h->sts;
    h->sts = st;
    if (h->notice_sent) {
        h->since_notice++;
        maybe_final_goaway(h);
    }
    return 0;
}

static void fields_add(h2stream *st, const char *name, size_t nl, const char *value, size_t vl)
{
    size_t need = st->fields_len + nl + vl + 4;
    if (need > H2_HEAD_MAX) { st->too_big = 1; return; }
    if (need > st->fields_cap) {
        size_t nc = st->fields_cap ? st->fields_cap * 2 : 512;
        while (nc < need) nc *= 2;
        char *n = realloc(st->fields, nc);
        if (n == NULL) abort();
        st->fields = n;
        st->fields_cap = nc;
    }
    char *o = st->fields + st->fields_len;
    memcpy(o, name, nl);
    memcpy(o + nl, ": ", 2);
    memcpy(o + nl + 2, value, vl);
    memcpy(o + nl + 2 + vl, "\r\n", 2);
    st->fields_len += nl + vl + 4;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)flags; (void)ud;
    /* Request trailers (HEADERS after DATA) are not delivered: HTTP.sys has no place for them. */
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    h2stream *st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (st == NULL) return 0;
    const char *n = (const char *)name, *v = (const char *)value;
    if (nl > 0 && n[0] == ':') {
        char **slot = nl == 7 && memcmp(n, ":method", 7) == 0 ? &st->method
                    : nl == 5 && memcmp(n, ":path", 5) == 0 ? &st->path
                    : nl == 10 && memcmp(n, ":authority", 10) == 0 ? &st->authority : NULL;
        if (slot != NULL && *slot == NULL) *slot = strndup(v, vl);
        return 0;
    }
    if (nl == 6 && memcmp(n, "cookie", 6) == 0) {
        char *c = realloc(st->cookie, st->cookie_len + vl + 3);
        if (c == NULL) abort();
        if (st->cookie_len > 0) { memcpy(c + st->cookie_len, "; ", 2); st->cookie_len += 2; }
        memcpy(c + st->cookie_len, v, vl);
        st->cookie_len += vl;
        c[st->cookie_len] = 0;
        st->cookie = c;
        return 0;
    }
    if (nl == 4 && memcmp(n, "host", 4) == 0 && st->authority != NULL) return 0; /* :authority wins */
    if (nl == 14 && memcmp(n, "content-length", 14) == 0) st->has_cl = 1;
    fields_add(st, n, nl, v, vl);
    return 0;
}

/* HTTP.sys's own response on a stream (F-68, F-155's 411), as HEADERS and DATA; the stream ends. */
static void error_response(h2stream *st, int status)
{
    h2conn *h = st->parent->h2;
    const char *reason = status == 400 ? "Bad Request" : status == 404 ? "Not Found" : status == 411 ? "Length Required"
                       : status == 413 ? "Request Entity Too Large" : status == 501 ? "Not Implemented"
                       : status == 505 ? "HTTP Version Not Supported" : "Service Unavailable";
    char body[512], st_s[8], cl[24], date[64];
    int bl;
    if (status == 411)
        bl = snprintf(body, sizeof(body),
                      "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                      "<HTML><HEAD><TITLE>Length Required</TITLE>\r\n"
                      "<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n"
                      "<BODY><h2>Length Required</h2>\r\n<hr><p>HTTP Error 411. The request must be chunked or have a "
                      "content length.</p>\r\n</BODY></HTML>\r\n");
    else
        bl = snprintf(body, sizeof(body),
                      "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                      "<HTML><HEAD><TITLE>%s</TITLE></HEAD><BODY><h2>%s</h2></BODY></HTML>\r\n", reason, reason);
    snprintf(st_s, sizeof(st_s), "%d", status);
    snprintf(cl, sizeof(cl), "%d", bl);
    emu_http_date(date, sizeof(date));
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv nv[] = {NV(":status", st_s), NV("content-type", "text/html; charset=us-ascii"),
                       NV("server", "Microsoft-HTTPAPI/2.0"), NV("date", date), NV("content-length", cl)};
#undef NV
    piece_add(st, body, (size_t)bl, 1);
    st->final = 1;
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = on_data_read};
    if (nghttp2_submit_response(h->s, st->id, nv, sizeof(nv) / sizeof(nv[0]), &prd) != 0)
        nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

static int is_verb(const char *m, const char *v) { return m != NULL && strcmp(m, v) == 0; }

/* The request HEADERS are complete: rebuild the head, make the stream's connection, route it. */
static void request_ready(conn *c, h2stream *st, int end_stream)
{
    if (st->method == NULL || st->path == NULL || st->too_big) { error_response(st, 400); return; } /* CONNECT too */
    /* F-155: POST/PUT that end the stream on HEADERS with no length: HTTP.sys answers 411 itself. */
    if (end_stream && !st->has_cl && (is_verb(st->method, "POST") || is_verb(st->method, "PUT"))) {
        error_response(st, 411);
        return;
    }
    size_t cap = strlen(st->method) + strlen(st->path) + (st->authority ? strlen(st->authority) : 0) + st->fields_len +
                 st->cookie_len + 96;
    char *head = malloc(cap);
    if (head == NULL) abort();
    int n = snprintf(head, cap, "%s %s HTTP/1.1\r\n", st->method, st->path);
    if (st->authority) n += snprintf(head + n, cap - (size_t)n, "Host: %s\r\n", st->authority);
    if (st->fields_len) { memcpy(head + n, st->fields, st->fields_len); n += (int)st->fields_len; }
    if (st->cookie) n += snprintf(head + n, cap - (size_t)n, "Cookie: %s\r\n", st->cookie);
    /* F-155: a body without content-length is shown as chunked, for HTTP/1.1 compatibility. */
    if (!end_stream && !st->has_cl) n += snprintf(head + n, cap - (size_t)n, "Transfer-Encoding: chunked\r\n");
    n += snprintf(head + n, cap - (size_t)n, "\r\n");
    emu_head h;
    int rc = emu_parse_head(head, (size_t)n, &h);
    if (rc != EMU_PARSE_OK) {
        free(head);
        error_response(st, rc == EMU_PARSE_INCOMPLETE ? 400 : rc);
        return;
    }
    conn *sc = emu_conn_new_stream(c);
    if (sc == NULL) { free(head); nghttp2_submit_rst_stream(c->h2->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR); return; }
    sc->h2next = c->h2->streams;
    c->h2->streams = sc;
    sc->h2st = st;
    st->sc = sc;
    req *r = calloc(1, sizeof(*r));
    if (r == NULL) abort();
    emu_parse_head(head, (size_t)n, &r->h);
    r->head = head;
    r->c = sc;
    r->bytes_received = (uint64_t)n;
    r->is_head = st->is_head = r->h.verb == HttpVerbHEAD;
    if (end_stream) { r->body_complete = 1; st->remote_closed = 1; }
    else if (r->h.chunked) r->body_kind = BODY_CHUNKED;
    else if (r->h.content_length > 0) { r->body_kind = BODY_LENGTH; r->body_left = (uint64_t)r->h.content_length; }
    else r->body_complete = 1;
    sc->cur = r;
    emu_route_request(sc, r); /* may answer it (emu_h2_reject) and end sc */
}

static void body_end(h2stream *st)
{
    st->remote_closed = 1;
    conn *sc = st->sc;
    if (sc == NULL || sc->cur == NULL) return;
    req *r = sc->cur;
    r->body_complete = 1;
    r->body_left = 0;
    emu_req_deliver_body(r); /* EOF for the reads waiting (F-46) */
    emu_conn_account(sc);
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    (void)s;
    conn *c = ud;
    h2stream *st = frame->hd.stream_id ? stream_of(c->h2, frame->hd.stream_id) : NULL;
    if (st == NULL) return 0;
    int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        request_ready(c, st, end);
        st = stream_of(c->h2, frame->hd.stream_id);
        if (st != NULL && end) st->remote_closed = 1;
    } else if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) && end) {
        body_end(st);
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    (void)flags; (void)ud;
    h2stream *st = nghttp2_session_get_stream_user_data(s, id);
    req *r = st && st->sc ? st->sc->cur : NULL;
    if (r != NULL && st->is_head) {
        /* F-155: a HEAD request with a body. */
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_HTTP_1_1_REQUIRED);
        r = NULL;
    }
    if (r == NULL || r->state == R_FINAL) { /* nobody will read it: the window opens at once */
        nghttp2_session_consume(s, id, len);
        return 0;
    }
    if (r->body_off + r->body_len + len > r->body_cap) {
        if (r->body_off > 0) {
            memmove(r->body, r->body + r->body_off, r->body_len);
            r->body_off = 0;
        }
        if (r->body_len + len > r->body_cap) {
            size_t nc = r->body_cap < BODY_BUFFER_MAX ? BODY_BUFFER_MAX : r->body_cap;
            while (nc < r->body_len + len) nc *= 2;
            char *b = realloc(r->body, nc);
            if (b == NULL) abort();
            r->body = b;
            r->body_cap = nc;
        }
    }
    memcpy(r->body + r->body_off + r->body_len, data, len);
    r->body_len += len;
    r->bytes_received += len;
    r->body_activity = st->sc->last_activity = emu_now();
    if (r->body_kind == BODY_LENGTH) r->body_left = r->body_left > len ? r->body_left - len : 0;
    conn *sc = st->sc;
    emu_req_deliver_body(r);
    if (!sc->closed) emu_conn_account(sc);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *ud)
{
    conn *c = ud;
    h2stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (st == NULL) return 0;
    nghttp2_session_set_stream_user_data(s, id, NULL);
    stream_unlink(c->h2, st);
    conn *sc = st->sc;
    if (sc != NULL) {
        sc->h2st = NULL;
        st->sc = NULL;
        /* Ended normally: the stream's connection goes when its final send is written. Otherwise
         * the client reset the stream (or it broke): as a vanished connection, its I/O fails and its
         * disconnect waits complete. */
        if (!(st->ended && error_code == NGHTTP2_NO_ERROR)) emu_conn_peer_gone(sc);
    }
    stream_free(st);
    maybe_final_goaway(c->h2);
    return 0;
}

/* ---- the TCP connection ---- */

int emu_h2_start(conn *c)
{
    h2conn *h = calloc(1, sizeof(*h));
    if (h == NULL) return -1;
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cb) != 0) { free(h); return -1; }
    if (nghttp2_option_new(&opt) != 0) { nghttp2_session_callbacks_del(cb); free(h); return -1; }
    nghttp2_session_callbacks_set_send_callback(cb, on_send);
    nghttp2_session_callbacks_set_send_data_callback(cb, on_send_data);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    /* Windows open as the application reads the body, not as bytes arrive: a slow reader slows the
     * client instead of making the emulator buffer. */
    nghttp2_option_set_no_auto_window_update(opt, 1);
    int rv = nghttp2_session_server_new2(&h->s, cb, c, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0) { free(h); return -1; }
    emu_count(CNT_H2, 1);
    c->h2 = h;
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW},
                                   {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
    nghttp2_session_set_local_window_size(h->s, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW);
    emu_conn_kick(c);
    return 0;
}

void emu_h2_recv(conn *c)
{
    h2conn *h = c->h2;
    if (c->in_len > 0 && !h->dying) {
        h->in_cb++;
        ssize_t rv = nghttp2_session_mem_recv(h->s, (const uint8_t *)c->in, c->in_len);
        h->in_cb--;
        c->in_len = 0;
        /* Not HTTP/2 after all, or a connection error: GOAWAY, then close (emu_h2_pump). */
        if (rv < 0) nghttp2_session_terminate_session(h->s, NGHTTP2_PROTOCOL_ERROR);
    }
    update_reading(c);
    emu_conn_kick(c);
    emu_conn_account(c);
}

void emu_h2_pump(conn *c)
{
    h2conn *h = c->h2;
    if (h == NULL || h->dying || h->in_cb || c->closed) return;
    int rv = 0;
    h->in_cb++;
    if (c->out_bytes < H2_OUT_MAX) rv = nghttp2_session_send(h->s);
    h->in_cb--;
    if (rv != 0 || (!nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s)))
        c->close_after_flush = 1; /* GOAWAY done and no stream left, or the session broke */
    update_reading(c);
}

void emu_h2_complete_sends(conn *c)
{
    h2conn *h = c->h2;
again:
    for (conn *sc = h->streams; sc != NULL; sc = sc->h2next) {
        if (sc->out_dirty) {
            sc->out_dirty = 0;
            emu_conn_complete_sends(sc); /* may end sc: look again from the start */
            if (c->closed || c->h2 == NULL) return;
            goto again;
        }
    }
}

void emu_h2_conn_gone(conn *c)
{
    h2conn *h = c->h2;
    if (h == NULL) return;
    h->dying = 1;
    /* Every stream goes with the TCP connection: as vanished connections (F-72, F-184). */
    while (h->streams) {
        conn *sc = h->streams;
        if (sc->h2st) { sc->h2st->sc = NULL; sc->h2st = NULL; }
        emu_conn_peer_gone(sc);
        if (h->streams == sc) h->streams = sc->h2next; /* never loop on one that stayed */
    }
    while (h->sts) {
        h2stream *st = h->sts;
        h->sts = st->next;
        stream_free(st);
    }
    nghttp2_session_del(h->s);
    free(h);
    emu_count(CNT_H2, -1);
    c->h2 = NULL;
}

int emu_h2_idle(const conn *c) { return c->h2 == NULL || (c->h2->streams == NULL && c->h2->sts == NULL); }

/* ---- a stream, from the API side ---- */

void emu_h2_stream_gone(conn *sc, int reset)
{
    (void)reset;
    conn *p = sc->h2parent;
    h2conn *h = p->h2;
    if (h != NULL) {
        for (conn **pp = &h->streams; *pp; pp = &(*pp)->h2next) {
            if (*pp == sc) { *pp = sc->h2next; break; }
        }
    }
    h2stream *st = sc->h2st;
    if (st != NULL) {
        st->sc = NULL;
        sc->h2st = NULL;
        pieces_free(st, 1); /* the caller's bytes are the caller's again once the sends fail */
        if (h != NULL && !h->dying && !st->ended) {
            /* Cancelled, timed out or the queue closed before the stream ended: RST_STREAM with the code
             * the application set (F-158), else CANCEL. */
            st->final = 0;
            if (!st->local_closed)
                nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, st->rst_set ? st->rst_code : NGHTTP2_CANCEL);
        }
    }
    emu_out_detach(p, sc);
    if (h != NULL && !h->dying) {
        maybe_final_goaway(h);
        emu_conn_kick(p);
    }
}

void emu_h2_lend(conn *sc, const char *data, size_t len)
{
    sc->out_queued += len;
    if (sc->h2st == NULL) { sc->out_written += len; return; } /* the stream is gone: nothing will frame it */
    piece_add(sc->h2st, data, len, 0);
}

void emu_h2_resume(conn *sc)
{
    h2conn *h = sc->h2parent->h2;
    if (sc->h2st != NULL && h != NULL && !h->dying) nghttp2_session_resume_data(h->s, sc->h2st->id);
}

void emu_h2_final(conn *sc)
{
    sc->out_queued += 1; /* END_STREAM: one unit, counted when its frame is written (out.c) */
    if (sc->h2st != NULL) sc->h2st->final = 1;
    else sc->out_written += 1;
}

void emu_h2_consumed(conn *sc, size_t n)
{
    conn *p = sc->h2parent;
    h2conn *h = p->h2;
    if (h == NULL || h->dying || p->closed || n == 0) return;
    if (sc->h2st != NULL) nghttp2_session_consume(h->s, sc->h2st->id, n);
    else nghttp2_session_consume_connection(h->s, n);
    emu_conn_kick(p);
}

void emu_h2_reject(conn *sc, int status)
{
    h2stream *st = sc->h2st;
    if (status == 0) {
        /* F-94's reset (a full queue, Basic verbosity): the stream is refused, the connection lives. */
        if (st) { st->rst_code = NGHTTP2_REFUSED_STREAM; st->rst_set = 1; }
        emu_conn_abort(sc, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 1);
        return;
    }
    if (st != NULL) {
        st->sc = NULL;
        sc->h2st = NULL;
        error_response(st, status);
    }
    emu_conn_abort(sc, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 0);
}

void emu_h2_continue(conn *sc)
{
    h2conn *h = sc->h2parent->h2;
    if (sc->h2st == NULL || h == NULL || h->dying) return;
    nghttp2_nv nv = {(uint8_t *)":status", (uint8_t *)"100", 7, 3, NGHTTP2_NV_FLAG_NONE};
    nghttp2_submit_headers(h->s, NGHTTP2_FLAG_NONE, sc->h2st->id, NULL, &nv, 1, NULL);
    emu_conn_kick(sc);
}

void emu_h2_req_finished(req *r)
{
    /* The final send is on the wire, END_STREAM with it: the request is done and so is the stream's
     * connection. Its disconnect waits complete now (stand-in choice, docs/open-questions.md). */
    conn *sc = r->c;
    sc->cur = NULL;
    sc->served++;
    emu_req_fail_ops(r, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID);
    emu_req_free(r);
    emu_conn_abort(sc, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 0);
}

/* F-156: fields that name the connection have no place in HTTP/2. */
static int connection_specific(const char *n, size_t len)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], n, len) == 0) return 1;
    return 0;
}

/* Lower-cased copies of n name/value pairs into one buffer, connection-specific ones left out. */
static size_t nv_build(nghttp2_nv *nv, char **buf_out, const char *const *names, const size_t *nl,
                       const char *const *values, const size_t *vl, size_t n)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < n; i++) total += nl[i] + vl[i];
    char *buf = malloc(total + 1), *o = buf;
    if (buf == NULL) abort();
    for (size_t i = 0; i < n; i++) {
        if (nl[i] == 0 || connection_specific(names[i], nl[i])) continue;
        for (size_t j = 0; j < nl[i]; j++) o[j] = (char)tolower_ascii((unsigned char)names[i][j]);
        if (vl[i]) memcpy(o + nl[i], values[i], vl[i]);
        nv[k].name = (uint8_t *)o;
        nv[k].namelen = nl[i];
        nv[k].value = (uint8_t *)(o + nl[i]);
        nv[k].valuelen = vl[i];
        nv[k].flags = NGHTTP2_NV_FLAG_NONE;
        o += nl[i] + vl[i];
        k++;
    }
    *buf_out = buf;
    return k;
}

ULONG emu_h2_respond(req *r, USHORT status, const char *const *names, const size_t *name_lens,
                     const char *const *values, const size_t *value_lens, size_t n, ULONG flags)
{
    conn *sc = r->c;
    h2stream *st = sc->h2st;
    h2conn *h = sc->h2parent->h2;
    if (st == NULL || h == NULL || h->dying || st->local_closed) return ERROR_CONNECTION_INVALID;
    if (flags & HTTP_SEND_RESPONSE_FLAG_GOAWAY) {
        /* F-157: GOAWAY(2^31-1, NO_ERROR) before the response headers; the real one later. */
        if (!h->notice_sent) nghttp2_submit_shutdown_notice(h->s);
        h->notice_sent = 1;
    }
    nghttp2_nv *nv = calloc(n + 1, sizeof(*nv));
    if (nv == NULL) abort();
    char *buf;
    char st_s[8];
    snprintf(st_s, sizeof(st_s), "%u", status);
    nv[0] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)st_s, 7, strlen(st_s), NGHTTP2_NV_FLAG_NONE};
    size_t k = nv_build(nv + 1, &buf, names, name_lens, values, value_lens, n);
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = on_data_read};
    int rv = nghttp2_submit_response(h->s, st->id, nv, k + 1, &prd); /* nghttp2 copies the fields */
    free(buf);
    free(nv);
    return rv == 0 ? NO_ERROR : ERROR_INVALID_PARAMETER;
}

ULONG emu_h2_trailers(conn *sc, const HTTP_UNKNOWN_HEADER *t, USHORT count)
{
    h2stream *st = sc->h2st;
    if (st == NULL) return NO_ERROR;
    if (count > 0 && t == NULL) return ERROR_INVALID_PARAMETER;
    const char **names = calloc(count + 1u, sizeof(char *)), **values = calloc(count + 1u, sizeof(char *));
    size_t *nl = calloc(count + 1u, sizeof(size_t)), *vl = calloc(count + 1u, sizeof(size_t));
    if (!names || !values || !nl || !vl) abort();
    for (USHORT i = 0; i < count; i++) {
        names[i] = t[i].pName;
        nl[i] = t[i].pName ? t[i].NameLength : 0;
        values[i] = t[i].pRawValue;
        vl[i] = t[i].pRawValue ? t[i].RawValueLength : 0;
    }
    free(st->trailers);
    free(st->tbuf);
    st->trailers = calloc(count + 1u, sizeof(nghttp2_nv));
    if (st->trailers == NULL) abort();
    st->ntrailers = nv_build(st->trailers, &st->tbuf, names, nl, values, vl, count);
    free(names); free(values); free(nl); free(vl);
    return NO_ERROR;
}

/* ---- exported ---- */

/* F-158: the RST_STREAM code a later HttpCancelHttpRequest sends. */
EMU_EXPORT ULONG HttpSetRequestProperty(HANDLE h, HTTP_OPAQUE_ID id, HTTP_REQUEST_PROPERTY prop, PVOID in, ULONG in_len,
                                        LPOVERLAPPED ov)
{
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = emu_queue_find(h);
    req *r = emu_req_find(id);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    if (prop != HttpRequestPropertyStreamError) { err = ERROR_INVALID_PARAMETER; goto out; } /* others not emulated */
    if (r == NULL || r->q != q || r->c == NULL || r->c->closed) { err = ERROR_CONNECTION_INVALID; goto out; }
    if (in == NULL || in_len < sizeof(HTTP_REQUEST_PROPERTY_STREAM_ERROR)) { err = ERROR_INVALID_PARAMETER; goto out; }
    /* F-158: HTTP/1.1 has no reset feature (stand-in: refused, see docs/open-questions.md). */
    if (r->c->h2parent == NULL) { err = ERROR_INVALID_PARAMETER; goto out; }
    if (r->c->h2st != NULL) {
        r->c->h2st->rst_code = ((const HTTP_REQUEST_PROPERTY_STREAM_ERROR *)in)->ErrorCode;
        r->c->h2st->rst_set = 1;
    }
    if (ov != NULL) {
        op *o = emu_op_new(OP_WAIT, q, ov);
        if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
        err = emu_op_inline(o, NO_ERROR, 0, NULL);
    } else {
        err = NO_ERROR;
    }
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}
