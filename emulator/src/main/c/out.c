/*
 * out: a connection's output. An ordered list of pieces: the emulator's own copies (response heads,
 * HTTP.sys's own responses, 100 Continue) and the caller's send chunks, which are borrowed, not
 * copied: HTTP.sys may read them any time until the send completes, so they are read only when they
 * go to the socket, and a caller that frees or rewrites one early sends wrong bytes here too.
 *
 * One thread at a time writes a connection (conn.flushing), with the global lock released around the
 * socket call, so the emulator's lock is not held during I/O. While a write is in progress nothing the
 * writer reads may go: an abort leaves the socket, the pieces and the send completions to the writer
 * (emu_conn_bury), so no caller buffer is handed back while it may still be read.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct seg {
    const char *p;     /* the bytes: data[] for a copy, the caller's memory for a borrowed chunk */
    size_t len, off;   /* off bytes already written */
    seg *next;
    char data[];
};

#define WRITE_IOV_MAX 64

static void seg_add(conn *c, const char *p, size_t len, int copy)
{
    if (c->closed || len == 0) return;
    seg *s = malloc(sizeof(*s) + (copy ? len : 0));
    if (s == NULL) abort();
    if (copy) {
        memcpy(s->data, p, len);
        p = s->data;
    }
    s->p = p;
    s->len = len;
    s->off = 0;
    s->next = NULL;
    if (c->out_tail) c->out_tail->next = s;
    else c->out_head = s;
    c->out_tail = s;
    c->out_bytes += len;
    c->out_queued += len;
}

void emu_conn_write(conn *c, const char *data, size_t len) { seg_add(c, data, len, 1); }

void emu_conn_lend(conn *c, const char *data, size_t len) { seg_add(c, data, len, 0); }

void emu_out_free(conn *c)
{
    while (c->out_head) {
        seg *s = c->out_head;
        c->out_head = s->next;
        free(s);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

/* Drops the first n written bytes from the pieces. */
static void out_consume(conn *c, size_t n)
{
    c->out_bytes -= n;
    c->out_written += n;
    while (n > 0) {
        seg *s = c->out_head;
        size_t left = s->len - s->off;
        if (n < left) {
            s->off += n;
            return;
        }
        n -= left;
        c->out_head = s->next;
        if (c->out_head == NULL) c->out_tail = NULL;
        free(s);
    }
}

/* Completes the sends whose last byte is on the wire (F-60, F-61). */
static void conn_complete_sends(conn *c)
{
    while (c->sends && c->sends->end <= c->out_written) {
        op *s = c->sends;
        c->sends = s->next;
        req *r = s->r;
        int final = s->final;
        if (r) r->sends_pending--;
        if (s->issuing) {
            s->done_inline = 1;
            s->result = NO_ERROR;
            s->result_bytes = s->bytes;
        } else {
            emu_op_complete(s, NO_ERROR, s->bytes, 0);
        }
        if (final && r) emu_req_finished_send(r);
        if (c->closed) return;
    }
}

void emu_conn_kick(conn *c)
{
    /* A writer in progress picks new pieces up before it stops; otherwise the loop writes on EPOLLOUT. */
    if (c->closed || c->flushing || c->writing) return;
    c->writing = 1;
    emu_conn_update_events(c);
}

/* TLS: SSL_write runs with the lock held, as every other call on the connection's SSL does (one SSL
 * object is not safe for two threads); the socket is non-blocking, so this never waits. The pieces
 * are gathered into one record's worth: a retry after SSL_ERROR_WANT_WRITE starts at the same stream
 * offset with the same bytes first, as OpenSSL requires. */
static void tls_flush(conn *c)
{
    static char buf[16384]; /* guarded by g_emu_lock */
    while (!c->closed && c->out_head != NULL) {
        size_t n = 0;
        for (seg *s = c->out_head; s != NULL && n < sizeof(buf); s = s->next) {
            size_t k = s->len - s->off;
            if (k > sizeof(buf) - n) k = sizeof(buf) - n;
            memcpy(buf + n, s->p + s->off, k);
            n += k;
        }
        ssize_t w = emu_tls_send(c, buf, n);
        if (w < 0) {
            if (errno == EAGAIN) break;
            emu_conn_peer_gone(c); /* F-65 */
            break;
        }
        out_consume(c, (size_t)w);
        c->last_activity = emu_now();
        conn_complete_sends(c);
    }
}

void emu_conn_flush(conn *c)
{
    if (c->closed || c->flushing) return;
    c->flushing = 1;
    if (c->ssl != NULL) tls_flush(c);
    while (c->ssl == NULL && !c->closed && c->out_head != NULL) {
        struct iovec iov[WRITE_IOV_MAX];
        int n = 0;
        for (seg *s = c->out_head; s != NULL && n < WRITE_IOV_MAX; s = s->next, n++) {
            iov[n].iov_base = (void *)(s->p + s->off);
            iov[n].iov_len = s->len - s->off;
        }
        struct msghdr m;
        memset(&m, 0, sizeof(m));
        m.msg_iov = iov;
        m.msg_iovlen = (size_t)n;
        int fd = c->fd;
        pthread_mutex_unlock(&g_emu_lock);
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        int e = errno;
        pthread_mutex_lock(&g_emu_lock);
        if (c->closed) break;
        if (w < 0) {
            if (e == EINTR) continue;
            if (e == EAGAIN || e == EWOULDBLOCK) break;
            emu_conn_peer_gone(c); /* F-65: sends fail once the client is gone */
            break;
        }
        out_consume(c, (size_t)w);
        c->last_activity = emu_now();
        conn_complete_sends(c);
    }
    if (!c->closed) conn_complete_sends(c); /* a send with nothing to write completes too (F-59) */
    c->flushing = 0;
    if (c->closed) {
        emu_conn_bury(c);
        return;
    }
    int want = c->out_head != NULL;
    if (want != c->writing || c->ssl != NULL) { /* TLS: a write waiting for a read changes the events too */
        c->writing = want;
        emu_conn_update_events(c);
    }
    if (!want && c->close_after_flush && !c->closing && c->cur == NULL) emu_conn_begin_close(c);
    emu_conn_account(c);
}
