/*
 * auth: Windows authentication done "in the kernel" (F-132..F-141). Owns the authentication property of
 * sessions and URL groups, runs a request's Authorization before it is queued (Basic against the
 * registered accounts, Negotiate and Kerberos through GSSAPI with the acceptor's keytab found the
 * standard way, KRB5_KTNAME / KRB5_CONFIG), answers intermediate legs itself, keeps the per-connection
 * context for connection-based caching, lays out HTTP_REQUEST_AUTH_INFO, and builds the WWW-Authenticate
 * values of the application's responses. Called under g_emu_lock.
 */
#define _GNU_SOURCE
#include "server.h"
#include "auth.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The outcome HTTP.sys reports with a request (F-138), and what the application must send (F-141). */
typedef struct emu_req_auth {
    HTTP_AUTH_STATUS status;
    SECURITY_STATUS sec;
    ULONG flags;
    HTTP_REQUEST_AUTH_TYPE type;
    emu_identity *id;          /* Success: whom the token will be for */
    HANDLE token;              /* made at delivery; the application's from then on (F-139) */
    char *mutual;              /* "Negotiate <base64>" for the final response (F-141), NULL when none */
    int mutual_to_app;         /* ReceiveMutualAuth: handed in pMutualAuthData, not sent by the emulator */
    const char *package;       /* "Kerberos" / "NTLM" for the GSSAPI schemes, NULL otherwise */
    emu_auth_cfg cfg;          /* the group's setting when the request arrived: its group may be closed first */
} emu_req_auth;

/* What a connection remembers between requests (F-135, F-137). */
typedef struct emu_conn_auth {
    gss_ctx_id_t pending;      /* a handshake waiting for the client's next leg */
    HTTP_REQUEST_AUTH_TYPE pending_type;
    emu_identity *cached;      /* connection-based caching: later requests without Authorization */
    HTTP_REQUEST_AUTH_TYPE cached_type;
    const char *cached_package;
} emu_conn_auth;

/* The NTLMSSP mechanism (MS-NLMP), as Debian's gss-ntlmssp registers it with MIT's mechglue. */
static const gss_OID_desc k_ntlm_oid = {10, "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};

/* ---- configuration (F-132) ---- */

ULONG emu_auth_set(emu_auth_cfg *cfg, const void *info, ULONG len)
{
    if (len < sizeof(HTTP_SERVER_AUTHENTICATION_INFO)) return ERROR_INVALID_PARAMETER;
    const HTTP_SERVER_AUTHENTICATION_INFO *a = info;
    if (!a->Flags.Present) { memset(cfg, 0, sizeof(*cfg)); return NO_ERROR; }
    if (a->AuthSchemes & ~HTTP_AUTH_ENABLE_ALL) return ERROR_INVALID_PARAMETER;
    if (a->ExFlags & ~(HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING | HTTP_AUTH_EX_FLAG_CAPTURE_CREDENTIAL))
        return ERROR_INVALID_PARAMETER;
    const HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS *bp = &a->BasicParams;
    if ((a->AuthSchemes & HTTP_AUTH_ENABLE_BASIC) && bp->RealmLength > 0 && (bp->Realm == NULL || bp->RealmLength % 2))
        return ERROR_INVALID_PARAMETER;
    emu_auth_cfg n;
    memset(&n, 0, sizeof(n));
    n.present = 1;
    n.schemes = a->AuthSchemes;
    n.receive_mutual = a->ReceiveMutualAuth != 0;
    n.disable_ntlm_cache = a->DisableNTLMCredentialCaching != 0;
    n.ex_flags = a->ExFlags;
    if ((a->AuthSchemes & HTTP_AUTH_ENABLE_BASIC) && bp->RealmLength > 0) {
        size_t chars = bp->RealmLength / 2, o = 0;
        for (size_t i = 0; i < chars && o + 4 < sizeof(n.realm); i++) {
            WCHAR w = bp->Realm[i];
            if (w == '"' || w == '\\' || w < 0x20) return ERROR_INVALID_PARAMETER; /* it goes inside a quoted string */
            if (w < 0x80) n.realm[o++] = (char)w;
            else if (w < 0x800) { n.realm[o++] = (char)(0xC0 | w >> 6); n.realm[o++] = (char)(0x80 | (w & 0x3F)); }
            else {
                n.realm[o++] = (char)(0xE0 | w >> 12); n.realm[o++] = (char)(0x80 | ((w >> 6) & 0x3F));
                n.realm[o++] = (char)(0x80 | (w & 0x3F));
            }
        }
    }
    *cfg = n;
    return NO_ERROR;
}

/* F-132: the group's setting, else its session's. */
static const emu_auth_cfg *effective(const group *g)
{
    if (g == NULL) return NULL;
    if (g->auth.present) return &g->auth;
    if (g->s != NULL && g->s->auth.present) return &g->s->auth;
    return NULL;
}

/* ---- base64 ---- */

static int b64_value(int ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Strict: whole groups of four, '=' only as padding at the end. -1 when malformed (F-136: a 400). */
static long b64_decode(const char *s, size_t len, unsigned char **out)
{
    if (len == 0 || len % 4 != 0) return -1;
    unsigned char *o = malloc(len / 4 * 3 + 1);
    if (o == NULL) abort();
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            int ch = (unsigned char)s[i + k];
            if (ch == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '=')) v[k] = -2;
            else if ((v[k] = b64_value(ch)) < 0) { free(o); return -1; }
        }
        o[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (v[2] != -2) o[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] != -2) {
            if (v[2] == -2) { free(o); return -1; }
            o[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
        }
    }
    *out = o;
    return (long)n;
}

static char *b64_encode_with(const char *prefix, const unsigned char *p, size_t len)
{
    static const char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t pl = strlen(prefix);
    char *o = malloc(pl + (len + 2) / 3 * 4 + 1);
    if (o == NULL) abort();
    memcpy(o, prefix, pl);
    size_t n = pl;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
        o[n++] = k[v >> 18 & 63];
        o[n++] = k[v >> 12 & 63];
        o[n++] = i + 1 < len ? k[v >> 6 & 63] : '=';
        o[n++] = i + 2 < len ? k[v & 63] : '=';
    }
    o[n] = 0;
    return o;
}

/* ---- per-connection state ---- */

static emu_conn_auth *conn_auth(conn *c)
{
    if (c->auth == NULL && (c->auth = calloc(1, sizeof(emu_conn_auth))) == NULL) abort();
    return c->auth;
}

static void drop_pending(emu_conn_auth *ca)
{
    if (ca->pending != GSS_C_NO_CONTEXT) {
        OM_uint32 minor;
        gss_delete_sec_context(&minor, &ca->pending, GSS_C_NO_BUFFER);
        ca->pending = GSS_C_NO_CONTEXT;
    }
}

static void drop_cached(emu_conn_auth *ca)
{
    emu_identity_free(ca->cached);
    ca->cached = NULL;
}

void emu_auth_conn_free(conn *c)
{
    emu_conn_auth *ca = c->auth;
    if (ca == NULL) return;
    drop_pending(ca);
    drop_cached(ca);
    free(ca);
    c->auth = NULL;
}

void emu_auth_req_free(req *r)
{
    emu_req_auth *ra = r->auth;
    if (ra == NULL) return;
    emu_identity_free(ra->id);
    free(ra->mutual);
    free(ra);
    r->auth = NULL;
    /* A token made at delivery is the application's (F-139): it is not closed here. */
}

/* ---- schemes ---- */

static const struct { const char *name; ULONG flag; HTTP_REQUEST_AUTH_TYPE type; int rank; } k_schemes[] = {
    /* F-134: strongest first */
    {"Negotiate", HTTP_AUTH_ENABLE_NEGOTIATE, HttpRequestAuthTypeNegotiate, 0},
    {"Kerberos", HTTP_AUTH_ENABLE_KERBEROS, HttpRequestAuthTypeKerberos, 1},
    {"NTLM", HTTP_AUTH_ENABLE_NTLM, HttpRequestAuthTypeNTLM, 2},
    {"Digest", HTTP_AUTH_ENABLE_DIGEST, HttpRequestAuthTypeDigest, 3},
    {"Basic", HTTP_AUTH_ENABLE_BASIC, HttpRequestAuthTypeBasic, 4},
};
#define NSCHEMES (sizeof(k_schemes) / sizeof(k_schemes[0]))

static int scheme_index(const char *s, size_t len)
{
    for (size_t i = 0; i < NSCHEMES; i++)
        if (strlen(k_schemes[i].name) == len && strncasecmp(k_schemes[i].name, s, len) == 0) return (int)i;
    return -1;
}

/* AcceptSecurityContext's error for a GSSAPI failure (F-136: delivered as SecStatus). */
static SECURITY_STATUS sec_status_of(OM_uint32 major, OM_uint32 minor)
{
    switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_DEFECTIVE_TOKEN: return SEC_E_INVALID_TOKEN;
    case GSS_S_BAD_MECH: return SEC_E_SECPKG_NOT_FOUND;
    case GSS_S_NO_CRED: return SEC_E_NO_CREDENTIALS;
    case GSS_S_CREDENTIALS_EXPIRED:
    case GSS_S_CONTEXT_EXPIRED: return SEC_E_CONTEXT_EXPIRED;
    case GSS_S_BAD_SIG:
    case GSS_S_DEFECTIVE_CREDENTIAL: return SEC_E_LOGON_DENIED;
    default: break;
    }
    switch ((krb5_error_code)minor) {
    case KRB5KRB_AP_ERR_SKEW: return SEC_E_TIME_SKEW;
    case KRB5KRB_AP_ERR_NOT_US:
    case KRB5KRB_AP_WRONG_PRINC:
    case KRB5_KT_NOTFOUND: return SEC_E_WRONG_PRINCIPAL;
    case KRB5KRB_AP_ERR_TKT_EXPIRED: return SEC_E_CONTEXT_EXPIRED;
    case KRB5KRB_AP_ERR_MODIFIED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY: return SEC_E_LOGON_DENIED;
    default: return SEC_E_INVALID_TOKEN;
    }
}

static int basic(emu_req_auth *ra, const unsigned char *cred, size_t len)
{
    const unsigned char *colon = memchr(cred, ':', len);
    if (colon == NULL) return 400; /* no user:password: as malformed as bad Base64 (docs/emulator.md) */
    ra->type = HttpRequestAuthTypeBasic;
    LONG sec = SEC_E_LOGON_DENIED;
    ra->id = emu_account_logon((const char *)cred, (size_t)(colon - cred), (const char *)colon + 1,
                               len - (size_t)(colon - cred) - 1, &sec);
    if (ra->id) ra->status = HttpAuthStatusSuccess;
    else { ra->status = HttpAuthStatusFailure; ra->sec = sec; } /* F-136: bad credentials are delivered */
    return EMU_AUTH_DELIVER;
}

/* A 401 the emulator sends itself for an intermediate leg (F-135). */
static void intermediate_leg(conn *c, req *r, const char *scheme, const gss_buffer_desc *out)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%s ", scheme);
    char *value = b64_encode_with(prefix, out->value, out->length);
    int close = r->close_after || r->body_kind != BODY_NONE; /* a body it never reads: close after the leg */
    char date[64];
    emu_http_date(date, sizeof(date));
    size_t cap = strlen(value) + 512;
    char *head = malloc(cap);
    if (head == NULL) abort();
    int n = snprintf(head, cap,
                     "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nWWW-Authenticate: %s\r\n"
                     "Server: Microsoft-HTTPAPI/2.0\r\nDate: %s\r\n%s\r\n",
                     value, date, close ? "Connection: close\r\n" : "");
    emu_conn_own_response(c, head, (size_t)n, close);
    free(head);
    free(value);
}

static int gss(conn *c, req *r, emu_req_auth *ra, const emu_auth_cfg *cfg, int si, const unsigned char *tok,
               size_t len)
{
    emu_conn_auth *ca = conn_auth(c);
    HTTP_REQUEST_AUTH_TYPE type = k_schemes[si].type;
    ra->type = type;
    if (ca->pending != GSS_C_NO_CONTEXT && ca->pending_type != type) drop_pending(ca);
    gss_ctx_id_t ctx = ca->pending;
    ca->pending = GSS_C_NO_CONTEXT;
    gss_buffer_desc in = {len, (void *)tok}, out = {0, NULL}, display = {0, NULL};
    gss_name_t src = GSS_C_NO_NAME;
    gss_OID mech = GSS_C_NO_OID;
    OM_uint32 minor = 0, ret_flags = 0, m2;
    /* The default acceptor credential: any key of the keytab KRB5_KTNAME names (or the system's). */
    OM_uint32 major = gss_accept_sec_context(&minor, &ctx, GSS_C_NO_CREDENTIAL, &in, GSS_C_NO_CHANNEL_BINDINGS, &src,
                                             &mech, &out, &ret_flags, NULL, NULL);
    int result = EMU_AUTH_DELIVER;
    if (GSS_ERROR(major)) {
        ra->status = HttpAuthStatusFailure;
        ra->sec = sec_status_of(major, minor);
        if (ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&m2, &ctx, GSS_C_NO_BUFFER);
    } else if (major & GSS_S_CONTINUE_NEEDED) {
        /* F-135: the application never sees this leg */
        ca->pending = ctx;
        ca->pending_type = type;
        intermediate_leg(c, r, k_schemes[si].name, &out);
        result = EMU_AUTH_ANSWERED;
    } else {
        gss_delete_sec_context(&m2, &ctx, GSS_C_NO_BUFFER);
        char principal[512] = "";
        if (gss_display_name(&m2, src, &display, NULL) == GSS_S_COMPLETE && display.length < sizeof(principal)) {
            memcpy(principal, display.value, display.length);
            principal[display.length] = 0;
        }
        ra->id = emu_identity_for_principal(principal);
        if (ra->id == NULL) {
            ra->status = HttpAuthStatusFailure;
            ra->sec = SEC_E_LOGON_DENIED;
        } else {
            ra->status = HttpAuthStatusSuccess;
            int ntlm = mech != GSS_C_NO_OID && mech->length == k_ntlm_oid.length &&
                       memcmp(mech->elements, k_ntlm_oid.elements, k_ntlm_oid.length) == 0;
            ra->package = ntlm ? "NTLM" : "Kerberos";
            if (out.length > 0 && (ret_flags & GSS_C_MUTUAL_FLAG)) {
                char prefix[32];
                snprintf(prefix, sizeof(prefix), "%s ", k_schemes[si].name);
                ra->mutual = b64_encode_with(prefix, out.value, out.length); /* F-141 */
                ra->mutual_to_app = cfg->receive_mutual;
            }
            /* F-137: NTLM contexts are kept for the connection unless DisableNTLMCredentialCaching; Kerberos
             * ones only when asked to. */
            drop_cached(ca);
            if (ntlm ? !cfg->disable_ntlm_cache : (cfg->ex_flags & HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING) != 0) {
                ca->cached = emu_identity_copy(ra->id);
                ca->cached_type = type;
                ca->cached_package = ra->package;
            }
        }
    }
    gss_release_buffer(&m2, &out);
    gss_release_buffer(&m2, &display);
    if (src != GSS_C_NO_NAME) gss_release_name(&m2, &src);
    return result;
}

int emu_auth_configured(const group *g) { return effective(g) != NULL; }

int emu_auth_request(conn *c, req *r, group *g)
{
    const emu_auth_cfg *cfg = effective(g);
    if (cfg == NULL) { /* F-138 stand-in: no auth info when auth is off */
        if (c->auth) { drop_pending(c->auth); drop_cached(c->auth); }
        return EMU_AUTH_DELIVER;
    }
    emu_req_auth *ra = calloc(1, sizeof(*ra));
    if (ra == NULL) return 503; /* F-136: an internal failure */
    ra->status = HttpAuthStatusNotAuthenticated; /* F-133 */
    ra->cfg = *cfg;
    r->auth = ra;
    const emu_head *h = &r->h;
    const char *v = NULL;
    size_t vl = 0;
    int seen = 0;
    for (size_t i = 0; i < h->nhdr; i++)
        if (h->hdr[i].known == HttpHeaderAuthorization) { v = h->hdr[i].value; vl = h->hdr[i].value_len; seen++; }
    if (seen > 1) return 400; /* two Authorization headers: not a list header, malformed */
    if (seen == 0) {
        emu_conn_auth *ca = c->auth;
        if (ca) drop_pending(ca); /* a handshake the client did not continue */
        if (ca && ca->cached) { /* F-137 */
            int ntlm = strcmp(ca->cached_package, "NTLM") == 0;
            int ok = ntlm ? !cfg->disable_ntlm_cache
                          : (cfg->ex_flags & HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING) != 0;
            if (ok && (ra->id = emu_identity_copy(ca->cached)) != NULL) {
                ra->status = HttpAuthStatusSuccess;
                ra->type = ca->cached_type;
                ra->flags = HTTP_REQUEST_AUTH_FLAG_TOKEN_FOR_CACHED_CRED;
                ra->package = ca->cached_package;
            } else if (!ok) {
                drop_cached(ca);
            }
        }
        return EMU_AUTH_DELIVER;
    }
    while (vl > 0 && (*v == ' ' || *v == '\t')) v++, vl--;
    size_t sl = 0;
    while (sl < vl && v[sl] != ' ' && v[sl] != '\t') sl++;
    if (sl == 0) return 400; /* F-136: no scheme */
    int si = scheme_index(v, sl);
    /* F-136: a scheme that is not enabled, or unknown (Bearer), passes through untouched */
    if (si < 0 || !(cfg->schemes & k_schemes[si].flag)) return EMU_AUTH_DELIVER;
    const char *cred = v + sl;
    size_t cl = vl - sl;
    while (cl > 0 && (*cred == ' ' || *cred == '\t')) cred++, cl--;
    while (cl > 0 && (cred[cl - 1] == ' ' || cred[cl - 1] == '\t')) cl--;
    /* A new Authorization replaces what the connection had cached (F-137), and ends a handshake of
     * another scheme. */
    if (c->auth) {
        drop_cached(c->auth);
        if (c->auth->pending_type != k_schemes[si].type) drop_pending(c->auth);
    }
    if (k_schemes[si].type == HttpRequestAuthTypeDigest) {
        if (cl == 0) return 400;
        ra->type = HttpRequestAuthTypeDigest;
        ra->status = HttpAuthStatusFailure;
        ra->sec = SEC_E_UNSUPPORTED_FUNCTION; /* Digest is not emulated (docs/emulator.md) */
        return EMU_AUTH_DELIVER;
    }
    unsigned char *bin = NULL;
    long bl = b64_decode(cred, cl, &bin);
    if (bl < 0) return 400; /* F-136: bad Base64 */
    int rc;
    if (k_schemes[si].type == HttpRequestAuthTypeBasic) {
        rc = basic(ra, bin, (size_t)bl);
    } else {
        /* Negotiate, Kerberos and NTLM: GSSAPI picks the mechanism from the token (raw NTLMSSP tokens go to
         * gss-ntlmssp when it is installed, which checks passwords in the NTLM_USER_FILE). */
        rc = gss(c, r, ra, cfg, si, bin, (size_t)bl);
    }
    free(bin);
    return rc;
}

/* ---- HTTP_REQUEST_AUTH_INFO (F-138) ---- */

int emu_auth_has_info(const req *r) { return r->auth != NULL; }

static size_t package_bytes(const char *p) { return (strlen(p) + 1) * sizeof(WCHAR); }

size_t emu_auth_extra_size(const req *r)
{
    const emu_req_auth *ra = r->auth;
    if (ra == NULL || ra->status != HttpAuthStatusSuccess) return 0;
    size_t n = 0;
    if (ra->mutual && ra->mutual_to_app) n += strlen(ra->mutual) + 1;
    if (ra->package) n = (n + 1) & ~(size_t)1, n += package_bytes(ra->package);
    return n;
}

void emu_auth_fill(req *r, HTTP_REQUEST_AUTH_INFO *info, char *extra)
{
    emu_req_auth *ra = r->auth;
    memset(info, 0, sizeof(*info));
    info->AuthStatus = ra->status;
    info->SecStatus = ra->sec;
    info->AuthType = ra->type;
    if (ra->status != HttpAuthStatusSuccess) return; /* F-138: the rest is meaningful on Success only */
    info->Flags = ra->flags;
    if (ra->token == NULL) ra->token = emu_token_new(ra->id); /* F-139: the application owns it from here */
    info->AccessToken = ra->token;
    size_t o = 0;
    if (ra->mutual && ra->mutual_to_app) { /* F-141: "Negotiate <base64>", no header name; the app sends it */
        size_t l = strlen(ra->mutual);
        memcpy(extra, ra->mutual, l + 1);
        info->MutualAuthDataLength = (ULONG)l;
        info->pMutualAuthData = extra;
        o = l + 1;
    }
    if (ra->package) {
        o = (o + 1) & ~(size_t)1;
        WCHAR *pw = (WCHAR *)(extra + o);
        size_t l = strlen(ra->package);
        for (size_t i = 0; i <= l; i++) pw[i] = (WCHAR)(unsigned char)ra->package[i];
        info->PackageNameLength = (USHORT)(l * sizeof(WCHAR));
        info->pPackageName = pw;
    }
}

/* ---- response headers (F-134, F-141) ---- */

static void add_line(char **b, size_t *len, size_t *cap, const char *name, const char *v, size_t vl)
{
    size_t need = *len + strlen(name) + vl + 5;
    if (need > *cap) {
        size_t nc = need * 2;
        char *n = realloc(*b, nc);
        if (n == NULL) abort();
        *b = n;
        *cap = nc;
    }
    *len += (size_t)sprintf(*b + *len, "%s: ", name);
    memcpy(*b + *len, v, vl);
    *len += vl;
    memcpy(*b + *len, "\r\n", 3);
    *len += 2;
}

static int multi_entry_ok(const HTTP_RESPONSE_INFO *ri)
{
    const HTTP_MULTIPLE_KNOWN_HEADERS *m = ri->pInfo;
    return ri->Length >= sizeof(*m) && m != NULL && (int)m->HeaderId >= 0 && m->HeaderId < HttpHeaderResponseMaximum &&
           (m->KnownHeaderCount == 0 || m->KnownHeaders != NULL);
}

int emu_auth_takes_slot(const HTTP_RESPONSE *resp, int id)
{
    if (id == HttpHeaderWwwAuthenticate) return 1;
    for (USHORT i = 0; i < resp->ResponseInfoCount && resp->pResponseInfo; i++) {
        const HTTP_RESPONSE_INFO *ri = &resp->pResponseInfo[i];
        if (ri->Type == HttpResponseInfoTypeMultipleKnownHeaders && multi_entry_ok(ri) &&
            (int)((const HTTP_MULTIPLE_KNOWN_HEADERS *)ri->pInfo)->HeaderId == id)
            return 1;
    }
    return 0;
}

typedef struct challenge { const char *v; size_t len; int rank, is_built; char built[300]; } challenge;

/* A value naming an enabled scheme is built by HTTP.sys (Basic with the configured realm); anything else is
 * copied as given (F-134). */
static void build(challenge *ch, const emu_auth_cfg *cfg)
{
    const char *v = ch->v;
    size_t l = ch->len;
    while (l > 0 && (*v == ' ' || *v == '\t')) v++, l--;
    while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t')) l--;
    int si = scheme_index(v, l);
    ch->rank = NSCHEMES;
    if (si < 0) {
        size_t sl = 0;
        while (sl < l && v[sl] != ' ') sl++;
        int known = scheme_index(v, sl);
        if (known >= 0) ch->rank = k_schemes[known].rank;
        return;
    }
    ch->rank = k_schemes[si].rank;
    if (cfg == NULL || !(cfg->schemes & k_schemes[si].flag)) return;
    if (k_schemes[si].type == HttpRequestAuthTypeBasic && cfg->realm[0])
        snprintf(ch->built, sizeof(ch->built), "Basic realm=\"%s\"", cfg->realm);
    else
        snprintf(ch->built, sizeof(ch->built), "%s", k_schemes[si].name);
    ch->is_built = 1;
    ch->len = strlen(ch->built);
}

ULONG emu_auth_response_headers(req *r, const HTTP_RESPONSE *resp, char **out, size_t *out_len)
{
    const emu_auth_cfg *cfg = r->auth ? &r->auth->cfg : NULL;
    char *b = NULL;
    size_t len = 0, cap = 0;
    *out = NULL;
    *out_len = 0;
    const HTTP_MULTIPLE_KNOWN_HEADERS *www = NULL;
    for (USHORT i = 0; i < resp->ResponseInfoCount && resp->pResponseInfo; i++) {
        const HTTP_RESPONSE_INFO *ri = &resp->pResponseInfo[i];
        if (ri->Type > HttpResponseInfoTypeChannelBind) return ERROR_INVALID_PARAMETER;
        if (ri->Type != HttpResponseInfoTypeMultipleKnownHeaders) continue; /* accepted, not emulated */
        if (!multi_entry_ok(ri)) return ERROR_INVALID_PARAMETER;
    }
    for (USHORT i = 0; i < resp->ResponseInfoCount && resp->pResponseInfo; i++) {
        const HTTP_RESPONSE_INFO *ri = &resp->pResponseInfo[i];
        if (ri->Type != HttpResponseInfoTypeMultipleKnownHeaders) continue;
        const HTTP_MULTIPLE_KNOWN_HEADERS *m = ri->pInfo;
        if (m->HeaderId == HttpHeaderWwwAuthenticate) { www = m; continue; }
        for (USHORT k = 0; k < m->KnownHeaderCount; k++)
            if (m->KnownHeaders[k].pRawValue && m->KnownHeaders[k].RawValueLength)
                add_line(&b, &len, &cap, emu_known_response_header_name(m->HeaderId), m->KnownHeaders[k].pRawValue,
                         m->KnownHeaders[k].RawValueLength);
    }
    const HTTP_KNOWN_HEADER *slot = &resp->Headers.KnownHeaders[HttpHeaderWwwAuthenticate];
    size_t n = www ? www->KnownHeaderCount : (slot->RawValueLength && slot->pRawValue ? 1 : 0);
    challenge *chs = n ? calloc(n, sizeof(*chs)) : NULL;
    if (n && chs == NULL) abort();
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const HTTP_KNOWN_HEADER *kh = www ? &www->KnownHeaders[i] : slot;
        if (kh->RawValueLength == 0 || kh->pRawValue == NULL) continue;
        chs[m].v = kh->pRawValue;
        chs[m].len = kh->RawValueLength;
        build(&chs[m], cfg);
        m++;
    }
    /* F-134: strongest first unless the application asked for its own order (a stable sort) */
    if (www && !(www->Flags & HTTP_RESPONSE_INFO_FLAGS_PRESERVE_ORDER)) {
        for (size_t i = 1; i < m; i++)
            for (size_t j = i; j > 0 && chs[j - 1].rank > chs[j].rank; j--) {
                challenge t = chs[j];
                chs[j] = chs[j - 1];
                chs[j - 1] = t;
            }
    }
    for (size_t i = 0; i < m; i++)
        add_line(&b, &len, &cap, "WWW-Authenticate", chs[i].is_built ? chs[i].built : chs[i].v, chs[i].len);
    free(chs);
    /* F-141: the mutual-auth value goes out with the final response unless the application receives it */
    emu_req_auth *ra = r->auth;
    if (ra && ra->mutual && !ra->mutual_to_app && resp->StatusCode != 401)
        add_line(&b, &len, &cap, "WWW-Authenticate", ra->mutual, strlen(ra->mutual));
    *out = b;
    *out_len = len;
    return NO_ERROR;
}
