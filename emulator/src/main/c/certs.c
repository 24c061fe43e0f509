/*
 * certs: the certificate store and the TLS bindings of the HTTP service configuration. Windows keeps
 * certificates in LocalMachine\My and the bindings in a machine-wide store written with
 * HttpSetServiceConfiguration (F-112..F-118); here both live in the process, under g_emu_lock. The
 * store is filled by the emulator-only HttpEmuAddCertificate, standing in for a certificate import.
 */
#define _GNU_SOURCE
#include "tls.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

typedef struct binding {
    int sni;                   /* HttpServiceConfigSslSniCertInfo, else SSLCertInfo */
    /* key: an address in Windows form as given (for queries), and the parts it is matched by */
    unsigned char key_addr[128];
    size_t key_addr_len;
    int family;                /* 4 or 6 */
    unsigned char addr[16];
    int port;
    char host[256];            /* SNI bindings: lower case ASCII */
    WCHAR host_w[256];
    /* ParamDesc, kept whole so a query returns what was set (F-115, F-116) */
    HTTP_SERVICE_CONFIG_SSL_PARAM param;
    UCHAR hash[20];
    WCHAR store[64], ctl_id[256], ctl_store[64];
    int has_store, has_ctl_id, has_ctl_store;
    struct binding *next;
} binding;

static emu_cert *g_certs;
static binding *g_bindings;
static unsigned long g_generation = 1;

unsigned long emu_certs_generation(void) { return g_generation; }

static emu_cert *cert_find(const UCHAR *thumb)
{
    for (emu_cert *c = g_certs; c != NULL; c = c->next)
        if (memcmp(c->thumb, thumb, 20) == 0) return c;
    return NULL;
}

static void cert_free(emu_cert *c)
{
    X509_free(c->x);
    EVP_PKEY_free(c->key);
    sk_X509_pop_free(c->chain, X509_free);
    free(c);
}

void emu_certs_trust(X509_STORE *st)
{
    for (emu_cert *c = g_certs; c != NULL; c = c->next) {
        X509_STORE_add_cert(st, c->x);
        for (int i = 0; i < sk_X509_num(c->chain); i++) X509_STORE_add_cert(st, sk_X509_value(c->chain, i));
    }
}

EMU_EXPORT ULONG HttpEmuAddCertificate(PCSTR pem_path, UCHAR thumbprint[20])
{
    if (pem_path == NULL || thumbprint == NULL) return ERROR_INVALID_PARAMETER;
    BIO *bio = BIO_new_file(pem_path, "r");
    if (bio == NULL) return ERROR_FILE_NOT_FOUND;
    STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (infos == NULL) return ERROR_INVALID_DATA;
    emu_cert *c = calloc(1, sizeof(*c));
    if (c == NULL) { sk_X509_INFO_pop_free(infos, X509_INFO_free); return ERROR_NOT_ENOUGH_MEMORY; }
    c->chain = sk_X509_new_null();
    for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *in = sk_X509_INFO_value(infos, i);
        if (in->x509 != NULL) {
            X509_up_ref(in->x509);
            if (c->x == NULL) c->x = in->x509;
            else sk_X509_push(c->chain, in->x509);
        }
        if (in->x_pkey != NULL && in->x_pkey->dec_pkey != NULL && c->key == NULL) {
            EVP_PKEY_up_ref(in->x_pkey->dec_pkey);
            c->key = in->x_pkey->dec_pkey;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    /* A certificate without its private key cannot serve TLS: the file is refused, as an import
     * without the key would leave nothing HTTP.sys can bind (F-112's ERROR_NO_SUCH_LOGON_SESSION). */
    if (c->x == NULL || c->key == NULL || X509_check_private_key(c->x, c->key) != 1) {
        cert_free(c);
        return ERROR_INVALID_DATA;
    }
    unsigned int n = 0;
    X509_digest(c->x, EVP_sha1(), c->thumb, &n);
    memcpy(thumbprint, c->thumb, 20);
    pthread_mutex_lock(&g_emu_lock);
    if (cert_find(c->thumb) != NULL) {
        cert_free(c); /* already there: importing again changes nothing */
    } else {
        c->next = g_certs;
        g_certs = c;
        g_generation++;
    }
    pthread_mutex_unlock(&g_emu_lock);
    return NO_ERROR;
}

EMU_EXPORT ULONG HttpEmuClearCertificates(void)
{
    pthread_mutex_lock(&g_emu_lock);
    while (g_certs) {
        emu_cert *c = g_certs;
        g_certs = c->next;
        cert_free(c);
    }
    while (g_bindings) {
        binding *b = g_bindings;
        g_bindings = b->next;
        free(b);
    }
    g_generation++;
    pthread_mutex_unlock(&g_emu_lock);
    return NO_ERROR;
}

/* ---- keys ---- */

/* A Windows SOCKADDR_IN (family 2) or SOCKADDR_IN6 (family 23) into the binding's key. */
static ULONG key_from_sockaddr(const void *sa, binding *b)
{
    if (sa == NULL) return ERROR_INVALID_PARAMETER;
    USHORT fam;
    memcpy(&fam, sa, 2);
    if (fam == WIN_AF_INET) {
        SOCKADDR_IN a;
        memcpy(&a, sa, sizeof(a));
        b->family = 4;
        memcpy(b->addr, &a.sin_addr, 4);
        b->port = ntohs(a.sin_port);
        b->key_addr_len = sizeof(SOCKADDR_IN);
    } else if (fam == WIN_AF_INET6) {
        SOCKADDR_IN6 a;
        memcpy(&a, sa, sizeof(a));
        b->family = 6;
        memcpy(b->addr, a.sin6_addr, 16);
        b->port = ntohs(a.sin6_port);
        b->key_addr_len = sizeof(SOCKADDR_IN6);
    } else {
        return ERROR_INVALID_PARAMETER;
    }
    memcpy(b->key_addr, sa, b->key_addr_len);
    return NO_ERROR;
}

static ULONG key_from_sni(const HTTP_SERVICE_CONFIG_SSL_SNI_KEY *k, binding *b)
{
    ULONG err = key_from_sockaddr(&k->IpPort, b);
    if (err != NO_ERROR) return err;
    b->sni = 1;
    if (k->Host == NULL || k->Host[0] == 0) return ERROR_INVALID_PARAMETER;
    size_t i = 0;
    for (; k->Host[i]; i++) {
        if (i + 1 >= sizeof(b->host) || k->Host[i] > 0x7e) return ERROR_INVALID_PARAMETER;
        b->host[i] = (char)tolower_ascii(k->Host[i]);
        b->host_w[i] = k->Host[i];
    }
    b->host[i] = 0;
    b->host_w[i] = 0;
    return NO_ERROR;
}

static int same_key(const binding *a, const binding *b)
{
    if (a->sni != b->sni || a->port != b->port) return 0;
    if (a->sni) return strcmp(a->host, b->host) == 0;
    return a->family == b->family && memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static binding *binding_find(const binding *key)
{
    for (binding *b = g_bindings; b != NULL; b = b->next)
        if (same_key(b, key)) return b;
    return NULL;
}

static size_t wcopy(WCHAR *dst, size_t cap, PCWSTR src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) dst[i] = src[i];
    dst[i] = 0;
    return i;
}

static size_t wlen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static int wequal_ascii_ci(PCWSTR w, const char *a)
{
    size_t i = 0;
    for (; w[i] && a[i]; i++)
        if (w[i] > 0x7e || tolower_ascii(w[i]) != tolower_ascii(a[i])) return 0;
    return w[i] == 0 && a[i] == 0;
}

/* ---- picking a binding for a handshake (F-118) ---- */

const emu_cert *emu_binding_pick(const struct sockaddr_storage *local, const char *sni, ULONG *flags,
                                 ULONG *sni_flags)
{
    int family, port;
    unsigned char addr[16] = {0};
    if (local->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)local;
        port = ntohs(a6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) { family = 4; memcpy(addr, &a6->sin6_addr.s6_addr[12], 4); }
        else { family = 6; memcpy(addr, &a6->sin6_addr, 16); }
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)local;
        port = ntohs(a4->sin_port);
        family = 4;
        memcpy(addr, &a4->sin_addr, 4);
    }
    static const unsigned char zero[16];
    binding *by_host = NULL, *by_ip = NULL, *by_any = NULL;
    for (binding *b = g_bindings; b != NULL; b = b->next) {
        if (b->port != port) continue;
        if (b->sni) {
            if (sni != NULL && strcasecmp(b->host, sni) == 0) by_host = b;
        } else if (b->family == family && memcmp(b->addr, addr, family == 4 ? 4 : 16) == 0) {
            by_ip = b;
        } else if (memcmp(b->addr, zero, b->family == 4 ? 4 : 16) == 0) {
            by_any = b; /* 0.0.0.0:port (or [::]:port): every address (F-117) */
        }
    }
    /* F-118: the host binding when the SNI matches; then the IP binding. A specific address before
     * the wildcard is the emulator's choice (precedence on Windows is an open question). */
    binding *b = by_host ? by_host : by_ip ? by_ip : by_any;
    *sni_flags = sni == NULL ? HTTP_REQUEST_PROPERTY_SNI_FLAG_NO_SNI : by_host ? HTTP_REQUEST_PROPERTY_SNI_FLAG_SNI_USED : 0;
    if (b == NULL) return NULL;
    *flags = b->param.DefaultFlags;
    return cert_find(b->hash);
}

/* ---- HttpSetServiceConfiguration / Query / Delete (F-112..F-117) ---- */

static ULONG check_config_call(HANDLE service, LPOVERLAPPED ov)
{
    if (service != NULL || ov != NULL) return ERROR_INVALID_PARAMETER; /* both reserved */
    if (!emu_config_initialized()) return ERROR_DLL_INIT_FAILED;          /* F-112 */
    return NO_ERROR;
}

/* Reads the key of an SSL_SET / SNI_SET (or the key inside a query) into b. */
static ULONG read_key(HTTP_SERVICE_CONFIG_ID id, const void *key, binding *b)
{
    if (id == HttpServiceConfigSSLCertInfo) return key_from_sockaddr(((const HTTP_SERVICE_CONFIG_SSL_KEY *)key)->pIpPort, b);
    return key_from_sni((const HTTP_SERVICE_CONFIG_SSL_SNI_KEY *)key, b);
}

EMU_EXPORT ULONG HttpSetServiceConfiguration(HANDLE service, HTTP_SERVICE_CONFIG_ID id, PVOID info, ULONG len,
                                             LPOVERLAPPED ov)
{
    ULONG err = check_config_call(service, ov);
    if (err != NO_ERROR) return err;
    if (!emu_elevated()) return ERROR_ACCESS_DENIED; /* F-193 */
    if (id == HttpServiceConfigUrlAclInfo)
        return info == NULL || len < sizeof(HTTP_SERVICE_CONFIG_URLACL_SET) ? ERROR_INVALID_PARAMETER : emu_urlacl_set(info);
    if (id != HttpServiceConfigSSLCertInfo && id != HttpServiceConfigSslSniCertInfo) return ERROR_INVALID_PARAMETER;
    size_t need = id == HttpServiceConfigSSLCertInfo ? sizeof(HTTP_SERVICE_CONFIG_SSL_SET) : sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_SET);
    if (info == NULL || len < need) return ERROR_INVALID_PARAMETER;
    const HTTP_SERVICE_CONFIG_SSL_PARAM *p = id == HttpServiceConfigSSLCertInfo
        ? &((HTTP_SERVICE_CONFIG_SSL_SET *)info)->ParamDesc : &((HTTP_SERVICE_CONFIG_SSL_SNI_SET *)info)->ParamDesc;
    binding *b = calloc(1, sizeof(*b));
    if (b == NULL) return ERROR_NOT_ENOUGH_MEMORY;
    err = read_key(id, info, b);
    if (err == NO_ERROR && (p->SslHashLength != 20 || p->pSslHash == NULL)) err = ERROR_INVALID_PARAMETER; /* F-115: SHA-1 */
    if (err != NO_ERROR) { free(b); return err; }
    b->param = *p;
    memcpy(b->hash, p->pSslHash, 20);
    if ((b->has_store = p->pSslCertStoreName != NULL)) wcopy(b->store, 64, p->pSslCertStoreName);
    if ((b->has_ctl_id = p->pDefaultSslCtlIdentifier != NULL)) wcopy(b->ctl_id, 256, p->pDefaultSslCtlIdentifier);
    if ((b->has_ctl_store = p->pDefaultSslCtlStoreName != NULL)) wcopy(b->ctl_store, 64, p->pDefaultSslCtlStoreName);
    pthread_mutex_lock(&g_emu_lock);
    if (binding_find(b) != NULL) err = ERROR_ALREADY_EXISTS; /* F-112: delete first */
    /* F-112: a certificate not in the store (only "MY" exists here, F-115) */
    else if (cert_find(b->hash) == NULL || (b->has_store && !wequal_ascii_ci(b->store, "MY"))) err = ERROR_NO_SUCH_LOGON_SESSION;
    if (err == NO_ERROR) {
        b->next = g_bindings;
        g_bindings = b;
        b = NULL;
    }
    pthread_mutex_unlock(&g_emu_lock);
    free(b);
    return err;
}

EMU_EXPORT ULONG HttpDeleteServiceConfiguration(HANDLE service, HTTP_SERVICE_CONFIG_ID id, PVOID info, ULONG len,
                                                LPOVERLAPPED ov)
{
    ULONG err = check_config_call(service, ov);
    if (err != NO_ERROR) return err;
    if (!emu_elevated()) return ERROR_ACCESS_DENIED; /* F-193 */
    if (id == HttpServiceConfigUrlAclInfo)
        return info == NULL || len < sizeof(HTTP_SERVICE_CONFIG_URLACL_SET) ? ERROR_INVALID_PARAMETER : emu_urlacl_delete(info);
    if (id != HttpServiceConfigSSLCertInfo && id != HttpServiceConfigSslSniCertInfo) return ERROR_INVALID_PARAMETER;
    size_t need = id == HttpServiceConfigSSLCertInfo ? sizeof(HTTP_SERVICE_CONFIG_SSL_SET) : sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_SET);
    if (info == NULL || len < need) return ERROR_INVALID_PARAMETER;
    binding key;
    memset(&key, 0, sizeof(key));
    err = read_key(id, info, &key);
    if (err != NO_ERROR) return err;
    pthread_mutex_lock(&g_emu_lock);
    err = ERROR_FILE_NOT_FOUND;
    for (binding **pp = &g_bindings; *pp; pp = &(*pp)->next) {
        if (same_key(*pp, &key)) {
            binding *b = *pp;
            *pp = b->next;
            free(b);
            err = NO_ERROR;
            break;
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* Writes b as an SSL_SET / SNI_SET followed by what its pointers point to; returns the size needed.
 * out == NULL only measures. */
static size_t write_set(const binding *b, char *out)
{
    size_t head = b->sni ? sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_SET) : sizeof(HTTP_SERVICE_CONFIG_SSL_SET);
    size_t off = head;
    size_t addr_at = 0, host_at = 0, hash_at, store_at = 0, ctl_id_at = 0, ctl_store_at = 0;
    if (!b->sni) { addr_at = off; off += 32; }
    else { host_at = off; off += (wlen(b->host_w) + 1) * 2; }
    hash_at = off;
    off += 20;
    off = (off + 1) & ~(size_t)1;
    if (b->has_store) { store_at = off; off += (wlen(b->store) + 1) * 2; }
    if (b->has_ctl_id) { ctl_id_at = off; off += (wlen(b->ctl_id) + 1) * 2; }
    if (b->has_ctl_store) { ctl_store_at = off; off += (wlen(b->ctl_store) + 1) * 2; }
    if (out == NULL) return off;
    memset(out, 0, off);
    HTTP_SERVICE_CONFIG_SSL_PARAM p = b->param;
    p.pSslHash = out + hash_at;
    memcpy(out + hash_at, b->hash, 20);
    p.pSslCertStoreName = b->has_store ? memcpy(out + store_at, b->store, (wlen(b->store) + 1) * 2) : NULL;
    p.pDefaultSslCtlIdentifier = b->has_ctl_id ? memcpy(out + ctl_id_at, b->ctl_id, (wlen(b->ctl_id) + 1) * 2) : NULL;
    p.pDefaultSslCtlStoreName = b->has_ctl_store ? memcpy(out + ctl_store_at, b->ctl_store, (wlen(b->ctl_store) + 1) * 2) : NULL;
    if (b->sni) {
        HTTP_SERVICE_CONFIG_SSL_SNI_SET *s = (HTTP_SERVICE_CONFIG_SSL_SNI_SET *)out;
        memcpy(&s->KeyDesc.IpPort, b->key_addr, b->key_addr_len);
        s->KeyDesc.Host = memcpy(out + host_at, b->host_w, (wlen(b->host_w) + 1) * 2);
        s->ParamDesc = p;
    } else {
        HTTP_SERVICE_CONFIG_SSL_SET *s = (HTTP_SERVICE_CONFIG_SSL_SET *)out;
        memcpy(out + addr_at, b->key_addr, b->key_addr_len);
        s->KeyDesc.pIpPort = (PSOCKADDR)(out + addr_at);
        s->ParamDesc = p;
    }
    return off;
}

EMU_EXPORT ULONG HttpQueryServiceConfiguration(HANDLE service, HTTP_SERVICE_CONFIG_ID id, PVOID in, ULONG in_len,
                                               PVOID out, ULONG out_len, PULONG ret_len, LPOVERLAPPED ov)
{
    ULONG err = check_config_call(service, ov);
    if (err != NO_ERROR) return err;
    if (id == HttpServiceConfigUrlAclInfo) /* reading works unelevated (F-193) */
        return in == NULL || in_len < sizeof(HTTP_SERVICE_CONFIG_URLACL_QUERY) ? ERROR_INVALID_PARAMETER
                                                                          : emu_urlacl_query(in, out, out_len, ret_len);
    if (id != HttpServiceConfigSSLCertInfo && id != HttpServiceConfigSslSniCertInfo) return ERROR_INVALID_PARAMETER;
    size_t need_in = id == HttpServiceConfigSSLCertInfo ? sizeof(HTTP_SERVICE_CONFIG_SSL_QUERY) : sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_QUERY);
    if (in == NULL || in_len < need_in) return ERROR_INVALID_PARAMETER;
    HTTP_SERVICE_CONFIG_QUERY_TYPE qt;
    DWORD token;
    const void *key;
    if (id == HttpServiceConfigSSLCertInfo) {
        const HTTP_SERVICE_CONFIG_SSL_QUERY *q = in;
        qt = q->QueryDesc; token = q->dwToken; key = &q->KeyDesc;
    } else {
        const HTTP_SERVICE_CONFIG_SSL_SNI_QUERY *q = in;
        qt = q->QueryDesc; token = q->dwToken; key = &q->KeyDesc;
    }
    binding k;
    memset(&k, 0, sizeof(k));
    if (qt == HttpServiceConfigQueryExact) {
        err = read_key(id, key, &k);
        if (err != NO_ERROR) return err;
    } else if (qt != HttpServiceConfigQueryNext) {
        return ERROR_INVALID_PARAMETER;
    }
    pthread_mutex_lock(&g_emu_lock);
    binding *b = NULL;
    if (qt == HttpServiceConfigQueryExact) {
        b = binding_find(&k);
        err = b ? NO_ERROR : ERROR_FILE_NOT_FOUND; /* an unbound ip:port reads as not found */
    } else {
        /* Enumeration by index, oldest first; past the last one ERROR_NO_MORE_ITEMS. */
        DWORD n = 0;
        for (binding *x = g_bindings; x != NULL; x = x->next)
            if (x->sni == (id == HttpServiceConfigSslSniCertInfo)) n++;
        DWORD want = token < n ? n - 1 - token : (DWORD)-1;
        DWORD i = 0;
        for (binding *x = g_bindings; x != NULL && want != (DWORD)-1; x = x->next) {
            if (x->sni != (id == HttpServiceConfigSslSniCertInfo)) continue;
            if (i++ == want) { b = x; break; }
        }
        err = b ? NO_ERROR : ERROR_NO_MORE_ITEMS;
    }
    if (b != NULL) {
        size_t need = write_set(b, NULL);
        if (ret_len) *ret_len = (ULONG)need;
        if (out == NULL || out_len < need) err = ERROR_INSUFFICIENT_BUFFER;
        else write_set(b, out);
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}
