/* URL ACL reservations and the administrator stand-in (F-106, F-113, F-193). */
#include <stdio.h>
#include <string.h>
#include "emu_test.h"

static HTTPAPI_VERSION v2 = {2, 0};

static ULONG acl(int set, const char *prefix, const char *sddl)
{
    WCHAR p[256], d[256];
    wide(prefix, p, 256);
    wide(sddl ? sddl : "", d, 256);
    HTTP_SERVICE_CONFIG_URLACL_SET s = {{p}, {sddl ? d : NULL}};
    return set ? HttpSetServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &s, sizeof(s), NULL)
               : HttpDeleteServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &s, sizeof(s), NULL);
}

static ULONG add_url(HTTP_URL_GROUP_ID g, const char *prefix)
{
    WCHAR p[256];
    wide(prefix, p, 256);
    return HttpAddUrlToUrlGroup(g, p, 0, 0);
}

static void test_reservations(void)
{
    CHECK_EQ(HttpInitialize(v2, HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    char prefix[128];
    int port = free_port();
    snprintf(prefix, sizeof(prefix), "http://+:%d/app/", port);
    CHECK_EQ(acl(1, prefix, "D:(A;;GX;;;WD)"), NO_ERROR);
    CHECK_EQ(acl(1, prefix, "D:(A;;GX;;;WD)"), ERROR_ALREADY_EXISTS);   /* delete first (F-112) */
    /* what the SDDL must look like */
    char other[128];
    snprintf(other, sizeof(other), "http://+:%d/x/", port);
    CHECK_EQ(acl(1, other, "not sddl"), ERROR_INVALID_PARAMETER);
    CHECK_EQ(acl(1, other, "D:(A;;GX;;WD)"), ERROR_INVALID_PARAMETER);
    CHECK_EQ(acl(1, other, NULL), ERROR_INVALID_PARAMETER);
    snprintf(other, sizeof(other), "http://+:%d/x", port);            /* no trailing '/' */
    CHECK_EQ(acl(1, other, "D:(A;;GX;;;WD)"), ERROR_INVALID_PARAMETER);

    /* query: exact, with the size protocol, then enumeration */
    WCHAR p[256];
    wide(prefix, p, 256);
    HTTP_SERVICE_CONFIG_URLACL_QUERY q = {HttpServiceConfigQueryExact, {p}, 0};
    ULONG need = 0;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &q, sizeof(q), NULL, 0, &need, NULL),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK(need > sizeof(HTTP_SERVICE_CONFIG_URLACL_SET));
    _Alignas(8) char out[1024];
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &q, sizeof(q), out, sizeof(out), &need, NULL),
             NO_ERROR);
    HTTP_SERVICE_CONFIG_URLACL_SET *got = (HTTP_SERVICE_CONFIG_URLACL_SET *)out;
    WCHAR want[64];
    wide("D:(A;;GX;;;WD)", want, 64);
    CHECK(memcmp(got->ParamDesc.pStringSecurityDescriptor, want, 15 * sizeof(WCHAR)) == 0);
    CHECK(memcmp(got->KeyDesc.pUrlPrefix, p, 4 * sizeof(WCHAR)) == 0);
    HTTP_SERVICE_CONFIG_URLACL_QUERY next = {HttpServiceConfigQueryNext, {NULL}, 0};
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &next, sizeof(next), out, sizeof(out), &need, NULL),
             NO_ERROR);
    next.dwToken = 1;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &next, sizeof(next), out, sizeof(out), &need, NULL),
             ERROR_NO_MORE_ITEMS);

    /* an ordinary user: no configuration writes, reads still work (F-193) */
    CHECK_EQ(HttpEmuSetElevated(0), 1);
    CHECK_EQ(acl(1, other, "D:(A;;GX;;;WD)"), ERROR_ACCESS_DENIED);
    CHECK_EQ(acl(0, prefix, NULL), ERROR_ACCESS_DENIED);
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigUrlAclInfo, &q, sizeof(q), out, sizeof(out), &need, NULL),
             NO_ERROR);

    /* registrations as an ordinary user (F-106, F-193) */
    CHECK_EQ(HttpInitialize(v2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    HTTP_SERVER_SESSION_ID s;
    HTTP_URL_GROUP_ID g;
    CHECK_EQ(HttpCreateServerSession(v2, &s, 0), NO_ERROR);
    CHECK_EQ(HttpCreateUrlGroup(s, &g, 0), NO_ERROR);
    char url[128];
    snprintf(url, sizeof(url), "http://+:%d/app/", port);
    CHECK_EQ(add_url(g, url), NO_ERROR);                     /* reserved */
    snprintf(url, sizeof(url), "http://+:%d/app/deeper/", port);
    CHECK_EQ(add_url(g, url), NO_ERROR);                     /* below the reservation */
    snprintf(url, sizeof(url), "http://+:%d/application/", port);
    CHECK_EQ(add_url(g, url), ERROR_ACCESS_DENIED);          /* whole segments only */
    snprintf(url, sizeof(url), "http://+:%d/", port);
    CHECK_EQ(add_url(g, url), ERROR_ACCESS_DENIED);          /* above it */
    snprintf(url, sizeof(url), "http://*:%d/app/", port);
    CHECK_EQ(add_url(g, url), ERROR_ACCESS_DENIED);          /* another host category */
    snprintf(url, sizeof(url), "https://+:%d/app/", port);
    CHECK_EQ(add_url(g, url), ERROR_ACCESS_DENIED);          /* another scheme */
    snprintf(url, sizeof(url), "http://localhost:%d/free/", port);
    CHECK_EQ(add_url(g, url), NO_ERROR);                     /* localhost needs none */

    /* a reservation that denies: made elevated, used unelevated */
    int port2 = free_port();
    snprintf(url, sizeof(url), "http://+:%d/", port2);
    CHECK_EQ(HttpEmuSetElevated(1), 0);
    CHECK_EQ(acl(1, url, "D:(A;;GR;;;WD)"), NO_ERROR);
    CHECK_EQ(HttpEmuSetElevated(0), 1);
    CHECK_EQ(add_url(g, url), ERROR_ACCESS_DENIED);
    CHECK_EQ(HttpEmuSetElevated(1), 0);
    CHECK_EQ(add_url(g, url), NO_ERROR);                     /* an administrator needs none */
    CHECK_EQ(acl(0, url, NULL), NO_ERROR);
    CHECK_EQ(acl(0, url, NULL), ERROR_FILE_NOT_FOUND);
    CHECK_EQ(acl(0, prefix, NULL), NO_ERROR);

    CHECK_EQ(HttpCloseUrlGroup(g), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s), NO_ERROR);
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    /* a certificate binding needs an administrator too (F-193) */
    CHECK_EQ(HttpEmuSetElevated(0), 1);
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = 2;
    a.sin_port = (USHORT)((port2 >> 8) | ((port2 & 0xff) << 8));
    UCHAR hash[20] = {1};
    HTTP_SERVICE_CONFIG_SSL_SET ssl;
    memset(&ssl, 0, sizeof(ssl));
    ssl.KeyDesc.pIpPort = (PSOCKADDR)&a;
    ssl.ParamDesc.SslHashLength = 20;
    ssl.ParamDesc.pSslHash = hash;
    CHECK_EQ(HttpSetServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &ssl, sizeof(ssl), NULL), ERROR_ACCESS_DENIED);
    CHECK_EQ(HttpEmuSetElevated(1), 0);
    CHECK_EQ(HttpEmuClearUrlAcls(), NO_ERROR);
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    CHECK(counters_zero(2000));
}

/* A named queue protected by a security descriptor made from SDDL (advapi32). */
static void test_queue_descriptor(void)
{
    CHECK_EQ(HttpInitialize(v2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    WCHAR sddl[64], bad[64], name[64];
    wide("D:(A;;GA;;;BA)", sddl, 64);   /* administrators only */
    wide("D:(nonsense)", bad, 64);
    wide("emu-protected-queue", name, 64);
    PVOID sd = NULL;
    ULONG size = 0;
    CHECK(!ConvertStringSecurityDescriptorToSecurityDescriptorW(bad, 1, &sd, &size));
    CHECK(!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 2, &sd, &size));   /* only revision 1 */
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, &sd, &size));
    CHECK(size > 0);
    SECURITY_ATTRIBUTES sa = {sizeof(sa), sd, 0};
    HANDLE q = NULL, other = NULL;
    CHECK_EQ(HttpCreateRequestQueue(v2, NULL, &sa, 0, &q), ERROR_INVALID_PARAMETER);   /* with a name only */
    SECURITY_ATTRIBUTES fake = {sizeof(fake), (PVOID)sddl, 0};
    CHECK_EQ(HttpCreateRequestQueue(v2, name, &fake, 0, &q), ERROR_INVALID_PARAMETER); /* not a descriptor */
    CHECK_EQ(HttpCreateRequestQueue(v2, name, &sa, 0, &q), NO_ERROR);
    CHECK(LocalFree(sd) == NULL);
    /* an allow ACE: the queue opens (the emulator has no accounts for the SID to name) */
    CHECK_EQ(HttpCreateRequestQueue(v2, name, NULL, HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, &other), NO_ERROR);
    CHECK_EQ(HttpCloseRequestQueue(other), NO_ERROR);
    CHECK_EQ(HttpCloseRequestQueue(q), NO_ERROR);
    wide("D:(D;;GA;;;WD)", sddl, 64);   /* denies everyone */
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, &sd, &size));
    sa.lpSecurityDescriptor = sd;
    CHECK_EQ(HttpCreateRequestQueue(v2, name, &sa, 0, &q), NO_ERROR);
    CHECK(LocalFree(sd) == NULL);
    CHECK_EQ(HttpEmuSetElevated(0), 1);
    CHECK_EQ(HttpCreateRequestQueue(v2, name, NULL, HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, &other), ERROR_ACCESS_DENIED);
    CHECK_EQ(HttpEmuSetElevated(1), 0);
    CHECK_EQ(HttpCloseRequestQueue(q), NO_ERROR);
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK(counters_zero(2000));
}

int main(void)
{
    test_reservations();
    test_queue_descriptor();
    return finish();
}
