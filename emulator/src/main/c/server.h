/*
 * server: internal structures of the HTTP Server API state (sessions, URL groups, request queues,
 * listeners, connections, requests, pending operations), shared by api.c, net.c and reqbuf.c.
 * Everything here is guarded by g_emu_lock.
 */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include "emu.h"
#include "parse.h"
#include "auth.h"

#define DEFAULT_TIMEOUT_S 120         /* F-97 */
#define BODY_BUFFER_MAX (256 * 1024)  /* decoded body held per request before reading pauses */
#define IN_BUFFER_MAX (EMU_MAX_REQUEST_BYTES + 4096)

typedef struct timeouts {
    USHORT entity_body, drain, request_queue, idle, header_wait; /* seconds, 0 = inherit (F-99) */
    ULONG min_send_rate;
} timeouts;

typedef struct session {
    ULONGLONG id;
    timeouts to;
    ULONG max_connections;  /* HTTP_LIMIT_INFINITE = none */
    int inactive;
    emu_auth_cfg auth;      /* HttpServerAuthenticationProperty (F-132) */
    struct session *next;
} session;

struct queue;

typedef struct group {
    ULONGLONG id;
    session *s;
    struct queue *q;        /* binding (F-16), NULL when unbound */
    timeouts to;
    ULONG max_connections;
    long connections;       /* connections currently counted against max_connections */
    int inactive;
    emu_auth_cfg auth;      /* F-132: overrides the session's when present */
    struct group *next;
} group;

enum { HOST_STRONG, HOST_NAMED, HOST_WEAK };

typedef struct listener listener;

typedef struct url {
    group *g;
    HTTP_URL_CONTEXT ctx;
    int host_kind;
    char host[256];         /* lower case, for HOST_NAMED */
    int port;
    char path[1024];        /* lower case, always ends with '/' (F-104) */
    size_t path_len;
    char text[1400];        /* normalised prefix, for duplicates (F-105) */
    int tls;                /* https:// */
    listener *l;
    struct url *next;
} url;

typedef struct op op;

/* Caller byte ranges an operation was given, for strict mode (emu_strict) to overwrite at completion. */
typedef struct emu_ranges {
    struct { void *p; size_t len; } *v;
    size_t n, cap;
} emu_ranges;

typedef struct queue {
    uint32_t magic;
    char name[256];
    int opens;
    emu_port *port;
    ULONG_PTR key;
    int skip_on_success;   /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (F-89) */
    int shutdown;
    ULONG max_length;      /* HttpServerQueueLengthProperty, default 1000 (F-94) */
    int verbosity;         /* HTTP_503_RESPONSE_VERBOSITY, default Basic (F-94) */
    int protected_deny;    /* its security descriptor grants no one: only an administrator opens it */
    int inactive;
    op *recv_head, *recv_tail;   /* pending HttpReceiveHttpRequest calls, FIFO (F-32) */
    struct req *ready_head, *ready_tail;
    ULONG ready_count;
    struct queue *next;
} queue;

enum { OBJ_LISTENER = 1, OBJ_CONN = 2 };

struct listener {
    int obj;
    int fd;
    int port;
    int tls;               /* https: every connection does a TLS handshake first (tls.c) */
    int refs;              /* registered URLs on this port */
    int conns;             /* connections pointing here (conn.l): the struct outlives its socket until 0 */
    double paused_until;   /* accept paused after running out of descriptors, 0 when armed */
    int closed;
    unsigned long close_gen;
    listener *next, *grave_next;
};

typedef struct seg seg;

/* What a TLS connection reports with every request (F-120, F-121, F-128..F-131); built by tls.c when a
 * handshake completes, owned by the connection. */
typedef struct emu_tls_info {
    USHORT server_key_bits, conn_key_bits;
    char issuer[512], subject[512];
    HTTP_SSL_PROTOCOL_INFO proto;
    int tls13;
    int cert_negotiated;            /* SslClientCertNegotiated: the handshake asked for a client certificate */
    unsigned char *client_der;      /* the client's certificate, DER, NULL when it sent none */
    size_t client_der_len;
    ULONG client_cert_flags;        /* CertFlags: chain verification result (F-127) */
    char sni[256];
    ULONG sni_flags;
} emu_tls_info;

typedef struct conn {
    int obj;
    int fd;
    ULONGLONG id;
    listener *l;           /* counted in l->conns; l->closed once its last URL is gone */
    struct sockaddr_storage local, remote;
    char *in;
    size_t in_len, in_cap;
    seg *out_head, *out_tail;   /* output pieces in stream order (out.c) */
    size_t out_bytes;           /* not yet written */
    unsigned long long out_queued, out_written;  /* stream offsets for send completion */
    int flushing;          /* one thread is writing with g_emu_lock released; it buries a closed conn */
    int reset_on_close;
    ULONG abort_send_err;  /* for sends an abort left to the writer */
    struct ssl_st *ssl;    /* NULL on a plain connection (tls.c) */
    pthread_mutex_t ssl_mu;    /* held around every call on ssl: the writer calls SSL_write with g_emu_lock released */
    emu_tls_info *tls;     /* set once the handshake is done */
    int tls_read_wants_write;  /* SSL_read (or the handshake) waits for the socket to be writable */
    int tls_write_wants_read;  /* SSL_write waits for the socket to be readable (renegotiation) */
    op *cert_ops;          /* HttpReceiveClientCertificate waiting for a renegotiation (F-125) */
    ULONG tls_binding_flags;   /* DefaultFlags of the binding the handshake used (F-116) */
    ULONG tls_sni_flags;       /* HTTP_REQUEST_PROPERTY_SNI Flags (F-131) */
    long tls_verify_err;       /* first X509 verification error of the client's chain, 0 = none */
    struct emu_conn_auth *auth; /* auth.c: a handshake in progress, cached credentials (F-135, F-137) */
    struct req *cur;
    group *g;              /* the group that served the last request (timeouts, limits) */
    int reading;           /* EPOLLIN armed */
    int writing;           /* EPOLLOUT armed */
    unsigned armed;        /* the events epoll has for the socket: an unchanged set is not set again */
    int peer_fin;
    int fin_deferred;      /* the FIN came during another thread's write: the writer acts on it once done (net.c) */
    int rdhup_seen;        /* the client's FIN is behind unread bytes while reading is paused: no EPOLLRDHUP until read */
    int closing;           /* lingering close after the last response */
    int closed;
    int close_after_flush;
    int served;            /* requests served, for F-98 */
    double last_activity, head_started, closing_since;
    op *waits;             /* HttpWaitForDisconnect(Ex) */
    op *sends;             /* pending sends in stream order */
    long long accounted;   /* bytes counted in CNT_BUFFERED */
    unsigned long close_gen;
    struct conn *hnext, *grave_next;
    /* HTTP/2 (h2.c). A TCP connection that negotiated h2 holds the session (h2) and serves no request
     * itself; each stream is a connection of its own as the API sees it (F-77, F-153): no socket,
     * its own id, requests and waits, output framed onto h2parent. */
    struct h2conn *h2;         /* TCP connection: the nghttp2 session, NULL for HTTP/1.x */
    struct h2stream *h2st;     /* stream connection: its stream, NULL once nghttp2 closed it */
    struct conn *h2parent;     /* stream connection: the TCP connection (outlives it) */
    struct conn *h2next;       /* stream connections of one TCP connection */
    int out_dirty;             /* stream connection: bytes of it were written, sends may complete */
} conn;

enum { R_QUEUED, R_BOUND, R_ACTIVE, R_FINAL };
enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_OPAQUE }; /* BODY_OPAQUE: after a 101 with OPAQUE (F-144) */

typedef struct req {
    ULONGLONG id;
    conn *c;
    queue *q;
    group *g;
    HTTP_URL_CONTEXT ctx;
    int state;
    char *head;            /* copy of the request head; emu_head points into it */
    emu_head h;
    char *cooked_path;     /* decoded, dot segments resolved (F-40) */
    size_t cooked_path_len;
    char host[300];        /* host piece of the cooked URL, with port (F-35) */
    int body_kind;
    uint64_t body_left;    /* BODY_LENGTH: wire bytes still to come */
    emu_chunked chunk;
    int body_complete;     /* the whole body has arrived */
    int body_eof_seen;     /* the app was told ERROR_HANDLE_EOF */
    char *body;            /* decoded body bytes; the undelivered ones are body[body_off, body_off + body_len) */
    size_t body_off, body_len, body_cap;
    int continue_sent;
    uint64_t bytes_received;
    op *body_ops;
    int sends_pending;
    int response_started;
    int is_head;
    int close_after;
    int opaque;            /* upgraded by a 101 with HTTP_SEND_RESPONSE_FLAG_OPAQUE: a raw byte stream (F-144..F-150) */
    double queued_at, body_activity, final_at;
    struct emu_req_auth *auth; /* auth.c: the outcome of authentication, NULL when auth is off (F-138) */
    struct req *hnext, *qnext;
} req;

enum { OP_RECV, OP_BODY, OP_SEND, OP_WAIT, OP_CERT };

struct op {
    int kind;
    OVERLAPPED *ov;
    queue *q;
    /* receive */
    ULONG flags;
    void *buf;
    ULONG len;
    ULONG *bytes_out;      /* sync calls only */
    /* send */
    unsigned long long end;
    ULONG bytes;
    int final;
    req *r;
    /* wait */
    int ex;
    /* a send completed while its API call is still running (F-61): the call reports it */
    int issuing, done_inline;
    emu_ranges given;      /* strict mode: overwritten when the operation completes */
    /* a send left to a writer by an abort: its queue may be freed first, so the port is held here */
    emu_port *late_port;
    ULONG_PTR late_key;
    /* sync completion */
    int sync, done;
    ULONG result;
    ULONG result_bytes;
    op *next;
};

/* tls.c: the TLS layer of a connection, OpenSSL over the non-blocking socket */
int emu_tls_start(conn *c);           /* on accept on a TLS port; -1 when no TLS state could be made */
int emu_tls_handshake(conn *c);       /* 1 done, 0 in progress, -1 failed (close without a response) */
ssize_t emu_tls_recv(conn *c, void *buf, size_t len);       /* recv() semantics, errno EAGAIN to wait */
/* send() semantics, errno EAGAIN to wait; called by the connection's one writer with g_emu_lock released,
 * so it changes nothing of the connection: *wants_read says SSL_write waits for the client's bytes. */
ssize_t emu_tls_send(conn *c, const void *buf, size_t len, int *wants_read);
int emu_tls_pending(conn *c);         /* decrypted bytes held inside OpenSSL, which epoll cannot see */
void emu_tls_close_notify(conn *c);
void emu_tls_free(conn *c);
void emu_tls_after_read(conn *c);     /* completes client-certificate calls once a renegotiation ends */
void emu_tls_fail_cert_ops(conn *c, ULONG err);
int emu_tls_cancel_cert_ops(conn *c, queue *q, OVERLAPPED *ov);

/* api.c: operations, for the calls implemented in other files */
op *emu_op_new(int kind, queue *q, OVERLAPPED *ov);
ULONG emu_op_pend(op *o, ULONG *bytes_out);
ULONG emu_op_inline(op *o, ULONG err, ULONG bytes, ULONG *bytes_out);
queue *emu_queue_find(HANDLE h);
ULONG emu_parse_prefix(PCWSTR w, url *u); /* a URL prefix as HttpAddUrlToUrlGroup takes it (F-102..F-104) */
/* urlacl.c: reservations and the administrator stand-in (F-106, F-193) */
int emu_elevated(void);
int emu_sddl_check(PCWSTR sddl); /* -1: not a DACL in SDDL; else whether an allow ACE grants GX or GA */
int emu_security_descriptor_grants(const void *sd); /* -1: not a descriptor of ours (token.c) */
ULONG emu_urlacl_check(const url *u);
ULONG emu_urlacl_set(const HTTP_SERVICE_CONFIG_URLACL_SET *set);
ULONG emu_urlacl_delete(const HTTP_SERVICE_CONFIG_URLACL_SET *set);
ULONG emu_urlacl_query(const HTTP_SERVICE_CONFIG_URLACL_QUERY *q, PVOID out, ULONG out_len, PULONG ret_len);
int emu_config_initialized(void); /* HttpInitialize(HTTP_INITIALIZE_CONFIG) was called (F-112) */

/* reqbuf.c */
ULONG emu_fill_request(req *r, ULONG flags, void *buf, ULONG len, ULONG *used, size_t *body_taken);

/* net.c */
double emu_now(void);
ULONG emu_listener_acquire(int port, int tls, listener **out); /* ERROR_SHARING_VIOLATION: the other scheme holds it */
void emu_listener_release(listener *l);
void emu_conn_abort(conn *c, ULONG read_err, ULONG send_err, int reset);
void emu_conn_peer_gone(conn *c); /* the client went away: FIN, RST or a failed write */
void emu_conn_begin_close(conn *c);
void emu_conn_upgrade(req *r); /* r's 101 with OPAQUE was issued: from now on every byte is its body (F-144, F-148) */
void emu_conn_bury(conn *c);
conn *emu_conn_new_stream(conn *parent); /* an h2 stream: no socket, its own id (F-77) */

/* out.c */
void emu_conn_write(conn *c, const char *data, size_t len); /* a copy */
void emu_conn_lend(conn *c, const char *data, size_t len);  /* the caller's bytes, read when written */
void emu_conn_lend_for(conn *c, conn *owner, const char *data, size_t len); /* h2: counted for owner */
void emu_conn_mark_fin(conn *c, conn *owner); /* h2: the last piece queued ends owner's stream */
void emu_out_detach(conn *c, conn *owner);    /* h2: owner ends: its pieces become copies */
void emu_conn_complete_sends(conn *c);
void emu_out_free(conn *c);
/* Writes what it can now, the lock released around the socket call: only where no pointer into the
 * emulator's state is held across it (an API call's last step, the loop's EPOLLOUT). */
void emu_conn_flush(conn *c);
void emu_conn_kick(conn *c); /* anywhere else: the loop writes soon */
void emu_conn_update_events(conn *c);
void emu_conn_account(conn *c);
void emu_conn_process(conn *c);
void emu_conn_feed(conn *c); /* moves arrived body bytes of the current request into its body buffer */
uint64_t emu_body_bytes_waiting(const req *r); /* wire bytes of r's body still in the input buffer (F-42) */
int emu_body_direct(const req *r);   /* r's body is read from the socket straight into the application's buffer */
ssize_t emu_body_recv(req *r, void *buf, size_t len); /* recv() of r's body, at most what is left of it */
void emu_poison_tail(void *buf, size_t len, size_t used); /* strict mode: a receive buffer's unwritten part */
void emu_conn_reject(conn *c, int status_or_reset); /* 0 = reset */
/* A response of the emulator's own that keeps the connection unless close (auth.c's intermediate legs). */
void emu_conn_own_response(conn *c, const char *data, size_t len, int close);
void emu_req_finished_send(req *r);
conn *emu_conn_find(ULONGLONG id);
int emu_conn_id_was_issued(ULONGLONG id);
void emu_req_deliver_body(req *r);

void emu_http_date(char *buf, size_t len);
void emu_conns_forget_group(group *g);
int emu_conns_cancel_waits(queue *q, OVERLAPPED *ov); /* 1 if any was cancelled */

static inline int tolower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* h2.c: HTTP/2 over a TLS connection that chose "h2" by ALPN (F-153..F-159, F-186, F-187) */
int emu_h2_start(conn *c);            /* after the handshake; -1: no session could be made */
void emu_h2_recv(conn *c);            /* feeds c->in to the session */
void emu_h2_pump(conn *c);            /* frames what the session has to send into c's output */
void emu_h2_complete_sends(conn *c);  /* sends of streams whose bytes were written */
void emu_h2_conn_gone(conn *c);       /* the TCP connection ends: every stream with it */
int emu_h2_idle(const conn *c);       /* no stream open: the idle timer applies */
void emu_h2_stream_gone(conn *sc, int reset); /* a stream connection ends (reset: RST_STREAM) */
void emu_h2_lend(conn *sc, const char *data, size_t len);
void emu_h2_resume(conn *sc);         /* new output for the stream */
void emu_h2_final(conn *sc);          /* the final send was issued: END_STREAM after its bytes */
void emu_h2_consumed(conn *sc, size_t n); /* the application read n body bytes: window update */
void emu_h2_reject(conn *sc, int status); /* HTTP.sys's own response on the stream, 0 = reset */
void emu_h2_continue(conn *sc);       /* 100 Continue as a HEADERS frame */
void emu_h2_req_finished(req *r);     /* the final send is on the wire: the stream ends */
ULONG emu_h2_respond(req *r, USHORT status, const char *const *names, const size_t *name_lens,
                     const char *const *values, const size_t *value_lens, size_t n, ULONG flags);
ULONG emu_h2_trailers(conn *sc, const HTTP_UNKNOWN_HEADER *t, USHORT count);
void emu_conn_deferred_fin(conn *c);  /* net.c: by the writer, once its write has returned */
int emu_tls_alpn_h2(conn *c);         /* tls.c: the handshake chose "h2" */

/* api.c */
void emu_body_consume(req *r, size_t n); /* n undelivered body bytes were handed to the application */
void emu_op_complete(op *o, ULONG err, ULONG bytes, int inline_call);
int emu_route_request(conn *c, req *r); /* 1: answered from the cache, the next request may follow at once */
void emu_req_free(req *r);
req *emu_req_find(ULONGLONG id);
ULONGLONG emu_next_id(void);
void emu_req_fail_ops(req *r, ULONG read_err, ULONG send_err);
void emu_req_remember_cut(const req *r); /* its body was cut short by the client (F-184) */
void emu_queue_dispatch(queue *q);
void emu_effective_timeouts(conn *c, timeouts *out);
/* Does a prefix registered to a group bound to q cover this URL (lower-case host and path, F-107, F-108)? */
int emu_queue_serves(const queue *q, int tls, const char *host, int port, const char *path, size_t path_len);
extern pthread_cond_t g_sync_cond;

/* cache.c: the kernel response cache and the fragment cache (F-162..F-168) */
/* After the head of a response is built (head: up to HTTP.sys's Server line): keeps it when the policy,
 * the request and the response allow (F-162..F-164); otherwise nothing happens. */
void emu_cache_store(req *r, const HTTP_CACHE_POLICY *policy, ULONG flags, const HTTP_RESPONSE *resp, const char *head,
                     size_t head_len, int has_length, int has_connection, unsigned long long body);
/* The live entry that answers a routed request (F-165), NULL when none does; then emu_cache_replay answers
 * it (under the same hold of the lock), after which r is the caller's to free, never queued. */
struct centry;
const struct centry *emu_cache_lookup(const conn *c, const req *r, const group *g, const queue *q);
void emu_cache_replay(conn *c, req *r, const struct centry *e);
void emu_cache_drop_queue(const queue *q);  /* the queue closes */
void emu_cache_drop_url(const url *u);      /* the prefix leaves its group: the entries under it go */
/* A fragment's bytes (all, or range; NULL = all), pointing into the cache: valid until the lock is
 * released. ERROR_PATH_NOT_FOUND when it is not there (F-168), ERROR_INVALID_PARAMETER for a bad name or range. */
ULONG emu_cache_fragment(const queue *q, PCWSTR name, size_t wlen, const HTTP_BYTE_RANGE *range, const char **data,
                         size_t *len);
/* The same for a data chunk of type FromFragmentCache or FromFragmentCacheEx. */
ULONG emu_cache_chunk(const queue *q, const HTTP_DATA_CHUNK *ch, const char **data, size_t *len);

#endif
