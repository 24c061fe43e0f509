/*
 * http.h stand-in for the jetty-httpsys emulator: the HTTP Server API v2 types and functions with
 * the Windows x64 layouts of ../../../../../../shared/reference/httpapi-x64-layout.md (mingw-w64
 * http.h). The _Static_asserts at the end pin every size and offset the emulator relies on.
 */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include "windows.h"

typedef ULONGLONG HTTP_OPAQUE_ID, HTTP_REQUEST_ID, HTTP_CONNECTION_ID, HTTP_RAW_CONNECTION_ID,
    HTTP_SERVER_SESSION_ID, HTTP_URL_GROUP_ID, HTTP_URL_CONTEXT;
typedef HTTP_OPAQUE_ID *PHTTP_OPAQUE_ID, *PHTTP_REQUEST_ID, *PHTTP_SERVER_SESSION_ID, *PHTTP_URL_GROUP_ID;
#define HTTP_NULL_ID 0ull

typedef struct _HTTPAPI_VERSION { USHORT HttpApiMajorVersion; USHORT HttpApiMinorVersion; } HTTPAPI_VERSION;
#define HTTPAPI_VERSION_1 {1, 0}
#define HTTPAPI_VERSION_2 {2, 0}
typedef struct _HTTP_VERSION { USHORT MajorVersion; USHORT MinorVersion; } HTTP_VERSION;

typedef enum _HTTP_VERB {
    HttpVerbUnparsed, HttpVerbUnknown, HttpVerbInvalid, HttpVerbOPTIONS, HttpVerbGET, HttpVerbHEAD,
    HttpVerbPOST, HttpVerbPUT, HttpVerbDELETE, HttpVerbTRACE, HttpVerbCONNECT, HttpVerbTRACK,
    HttpVerbMOVE, HttpVerbCOPY, HttpVerbPROPFIND, HttpVerbPROPPATCH, HttpVerbMKCOL, HttpVerbLOCK,
    HttpVerbUNLOCK, HttpVerbSEARCH, HttpVerbMaximum
} HTTP_VERB;

typedef enum _HTTP_HEADER_ID {
    HttpHeaderCacheControl = 0, HttpHeaderConnection = 1, HttpHeaderDate = 2, HttpHeaderKeepAlive = 3,
    HttpHeaderPragma = 4, HttpHeaderTrailer = 5, HttpHeaderTransferEncoding = 6, HttpHeaderUpgrade = 7,
    HttpHeaderVia = 8, HttpHeaderWarning = 9, HttpHeaderAllow = 10, HttpHeaderContentLength = 11,
    HttpHeaderContentType = 12, HttpHeaderContentEncoding = 13, HttpHeaderContentLanguage = 14,
    HttpHeaderContentLocation = 15, HttpHeaderContentMd5 = 16, HttpHeaderContentRange = 17,
    HttpHeaderExpires = 18, HttpHeaderLastModified = 19, HttpHeaderAccept = 20,
    HttpHeaderAcceptCharset = 21, HttpHeaderAcceptEncoding = 22, HttpHeaderAcceptLanguage = 23,
    HttpHeaderAuthorization = 24, HttpHeaderCookie = 25, HttpHeaderExpect = 26, HttpHeaderFrom = 27,
    HttpHeaderHost = 28, HttpHeaderIfMatch = 29, HttpHeaderIfModifiedSince = 30,
    HttpHeaderIfNoneMatch = 31, HttpHeaderIfRange = 32, HttpHeaderIfUnmodifiedSince = 33,
    HttpHeaderMaxForwards = 34, HttpHeaderProxyAuthorization = 35, HttpHeaderReferer = 36,
    HttpHeaderRange = 37, HttpHeaderTe = 38, HttpHeaderTranslate = 39, HttpHeaderUserAgent = 40,
    HttpHeaderRequestMaximum = 41,
    HttpHeaderAcceptRanges = 20, HttpHeaderAge = 21, HttpHeaderEtag = 22, HttpHeaderLocation = 23,
    HttpHeaderProxyAuthenticate = 24, HttpHeaderRetryAfter = 25, HttpHeaderServer = 26,
    HttpHeaderSetCookie = 27, HttpHeaderVary = 28, HttpHeaderWwwAuthenticate = 29,
    HttpHeaderResponseMaximum = 30, HttpHeaderMaximum = 41
} HTTP_HEADER_ID;

typedef struct _HTTP_KNOWN_HEADER { USHORT RawValueLength; PCSTR pRawValue; } HTTP_KNOWN_HEADER, *PHTTP_KNOWN_HEADER;
typedef struct _HTTP_UNKNOWN_HEADER {
    USHORT NameLength; USHORT RawValueLength; PCSTR pName; PCSTR pRawValue;
} HTTP_UNKNOWN_HEADER, *PHTTP_UNKNOWN_HEADER;

typedef struct _HTTP_REQUEST_HEADERS {
    USHORT UnknownHeaderCount; PHTTP_UNKNOWN_HEADER pUnknownHeaders;
    USHORT TrailerCount; PHTTP_UNKNOWN_HEADER pTrailers;
    HTTP_KNOWN_HEADER KnownHeaders[HttpHeaderRequestMaximum];
} HTTP_REQUEST_HEADERS;
typedef struct _HTTP_RESPONSE_HEADERS {
    USHORT UnknownHeaderCount; PHTTP_UNKNOWN_HEADER pUnknownHeaders;
    USHORT TrailerCount; PHTTP_UNKNOWN_HEADER pTrailers;
    HTTP_KNOWN_HEADER KnownHeaders[HttpHeaderResponseMaximum];
} HTTP_RESPONSE_HEADERS;

typedef struct _HTTP_COOKED_URL {
    USHORT FullUrlLength; USHORT HostLength; USHORT AbsPathLength; USHORT QueryStringLength;
    PCWSTR pFullUrl; PCWSTR pHost; PCWSTR pAbsPath; PCWSTR pQueryString;
} HTTP_COOKED_URL;

/* Windows SOCKADDR family values: AF_INET 2, AF_INET6 23 (not Linux's 10). */
#define WIN_AF_INET 2
#define WIN_AF_INET6 23
typedef struct _WIN_SOCKADDR { USHORT sa_family; CHAR sa_data[14]; } SOCKADDR, *PSOCKADDR;
typedef struct _WIN_SOCKADDR_IN { SHORT sin_family; USHORT sin_port; uint32_t sin_addr; CHAR sin_zero[8]; } SOCKADDR_IN;
typedef struct _WIN_SOCKADDR_IN6 {
    SHORT sin6_family; USHORT sin6_port; ULONG sin6_flowinfo; UCHAR sin6_addr[16]; ULONG sin6_scope_id;
} SOCKADDR_IN6;
typedef struct _HTTP_TRANSPORT_ADDRESS { PSOCKADDR pRemoteAddress; PSOCKADDR pLocalAddress; } HTTP_TRANSPORT_ADDRESS;

typedef enum _HTTP_DATA_CHUNK_TYPE {
    HttpDataChunkFromMemory, HttpDataChunkFromFileHandle, HttpDataChunkFromFragmentCache,
    HttpDataChunkFromFragmentCacheEx, HttpDataChunkTrailers, HttpDataChunkMaximum
} HTTP_DATA_CHUNK_TYPE;
typedef struct _HTTP_BYTE_RANGE { ULONGLONG StartingOffset; ULONGLONG Length; } HTTP_BYTE_RANGE, *PHTTP_BYTE_RANGE;
#define HTTP_BYTE_RANGE_TO_EOF ((ULONGLONG)-1)
typedef struct _HTTP_DATA_CHUNK {
    HTTP_DATA_CHUNK_TYPE DataChunkType;
    union {
        struct { PVOID pBuffer; ULONG BufferLength; } FromMemory;
        struct { HTTP_BYTE_RANGE ByteRange; HANDLE FileHandle; } FromFileHandle;
        struct { USHORT FragmentNameLength; PCWSTR pFragmentName; } FromFragmentCache;
        struct { HTTP_BYTE_RANGE ByteRange; PCWSTR pFragmentName; } FromFragmentCacheEx; /* F-168; not in mingw */
        struct { USHORT TrailerCount; PHTTP_UNKNOWN_HEADER pTrailers; } Trailers; /* F-159: h2 only */
    }; /* anonymous, as in mingw-w64 and the SDK, so Windows sources compile unchanged */
} HTTP_DATA_CHUNK, *PHTTP_DATA_CHUNK;

typedef struct _HTTP_SSL_INFO HTTP_SSL_INFO, *PHTTP_SSL_INFO;

/* TLS (chapter A of the behaviour reference: F-112..F-131). */
typedef struct _HTTP_SSL_CLIENT_CERT_INFO {
    ULONG CertFlags; ULONG CertEncodedSize; PUCHAR pCertEncoded; HANDLE Token; BOOLEAN CertDeniedByMapper;
} HTTP_SSL_CLIENT_CERT_INFO, *PHTTP_SSL_CLIENT_CERT_INFO;
struct _HTTP_SSL_INFO {
    USHORT ServerCertKeySize; USHORT ConnectionKeySize; ULONG ServerCertIssuerSize; ULONG ServerCertSubjectSize;
    PCSTR pServerCertIssuer; PCSTR pServerCertSubject; PHTTP_SSL_CLIENT_CERT_INFO pClientCertInfo;
    ULONG SslClientCertNegotiated;
};
typedef struct _HTTP_SSL_PROTOCOL_INFO {
    ULONG Protocol; ULONG CipherType; ULONG CipherStrength; ULONG HashType; ULONG HashStrength;
    ULONG KeyExchangeType; ULONG KeyExchangeStrength;
} HTTP_SSL_PROTOCOL_INFO, *PHTTP_SSL_PROTOCOL_INFO;
typedef enum _HTTP_REQUEST_INFO_TYPE {
    HttpRequestInfoTypeAuth, HttpRequestInfoTypeChannelBind, HttpRequestInfoTypeSslProtocol,
    HttpRequestInfoTypeSslTokenBindingDraft, HttpRequestInfoTypeSslTokenBinding
} HTTP_REQUEST_INFO_TYPE;
typedef enum _HTTP_REQUEST_PROPERTY {
    HttpRequestPropertyIsb, HttpRequestPropertyTcpInfoV0, HttpRequestPropertyQuicStats,
    HttpRequestPropertyTcpInfoV1, HttpRequestPropertySni, HttpRequestPropertyStreamError
} HTTP_REQUEST_PROPERTY;
#define HTTP_REQUEST_PROPERTY_SNI_HOST_MAX_LENGTH 255
#define HTTP_REQUEST_PROPERTY_SNI_FLAG_SNI_USED 0x1u
#define HTTP_REQUEST_PROPERTY_SNI_FLAG_NO_SNI 0x2u
typedef struct _HTTP_REQUEST_PROPERTY_SNI {
    WCHAR Hostname[HTTP_REQUEST_PROPERTY_SNI_HOST_MAX_LENGTH + 1]; ULONG Flags;
} HTTP_REQUEST_PROPERTY_SNI, *PHTTP_REQUEST_PROPERTY_SNI;
#define HTTP_RECEIVE_SECURE_CHANNEL_TOKEN 0x1u

/* schannel SP_PROT_*_SERVER bits and CryptoAPI ALG_IDs (F-129, F-130). */
#define SP_PROT_TLS1_0_SERVER 0x40u
#define SP_PROT_TLS1_1_SERVER 0x100u
#define SP_PROT_TLS1_2_SERVER 0x400u
#define SP_PROT_TLS1_3_SERVER 0x1000u
#define CALG_AES_128 0x660Eu
#define CALG_AES_256 0x6610u
#define CALG_3DES 0x6603u
#define CALG_SHA1 0x8004u
#define CALG_SHA_256 0x800Cu
#define CALG_SHA_384 0x800Du
#define CALG_SHA_512 0x800Eu
#define CALG_RSA_KEYX 0xA400u
#define CALG_DH_EPHEM 0xAA02u
#define CALG_ECDH_EPHEM 0xAE06u

typedef struct _GUID { ULONG Data1; USHORT Data2; USHORT Data3; UCHAR Data4[8]; } GUID;
typedef struct _WIN_SOCKADDR_STORAGE {
    SHORT ss_family; CHAR __ss_pad1[6]; LONGLONG __ss_align; CHAR __ss_pad2[112];
} SOCKADDR_STORAGE, *PSOCKADDR_STORAGE;

typedef enum _HTTP_SERVICE_CONFIG_ID {
    HttpServiceConfigIPListenList, HttpServiceConfigSSLCertInfo, HttpServiceConfigUrlAclInfo,
    HttpServiceConfigTimeout, HttpServiceConfigCache, HttpServiceConfigSslSniCertInfo,
    HttpServiceConfigSslCcsCertInfo, HttpServiceConfigSetting, HttpServiceConfigSslCertInfoEx,
    HttpServiceConfigSslSniCertInfoEx, HttpServiceConfigSslCcsCertInfoEx, HttpServiceConfigSslScopedCcsCertInfo,
    HttpServiceConfigSslScopedCcsCertInfoEx, HttpServiceConfigMax
} HTTP_SERVICE_CONFIG_ID;
typedef enum _HTTP_SERVICE_CONFIG_QUERY_TYPE {
    HttpServiceConfigQueryExact, HttpServiceConfigQueryNext, HttpServiceConfigQueryMax
} HTTP_SERVICE_CONFIG_QUERY_TYPE;
typedef struct _HTTP_SERVICE_CONFIG_SSL_KEY { PSOCKADDR pIpPort; } HTTP_SERVICE_CONFIG_SSL_KEY;
typedef struct _HTTP_SERVICE_CONFIG_SSL_SNI_KEY { SOCKADDR_STORAGE IpPort; PWSTR Host; } HTTP_SERVICE_CONFIG_SSL_SNI_KEY;
typedef struct _HTTP_SERVICE_CONFIG_SSL_PARAM {
    ULONG SslHashLength; PVOID pSslHash; GUID AppId; PWSTR pSslCertStoreName; DWORD DefaultCertCheckMode;
    DWORD DefaultRevocationFreshnessTime; DWORD DefaultRevocationUrlRetrievalTimeout;
    PWSTR pDefaultSslCtlIdentifier; PWSTR pDefaultSslCtlStoreName; DWORD DefaultFlags;
} HTTP_SERVICE_CONFIG_SSL_PARAM;
typedef struct _HTTP_SERVICE_CONFIG_SSL_SET {
    HTTP_SERVICE_CONFIG_SSL_KEY KeyDesc; HTTP_SERVICE_CONFIG_SSL_PARAM ParamDesc;
} HTTP_SERVICE_CONFIG_SSL_SET, *PHTTP_SERVICE_CONFIG_SSL_SET;
typedef struct _HTTP_SERVICE_CONFIG_SSL_SNI_SET {
    HTTP_SERVICE_CONFIG_SSL_SNI_KEY KeyDesc; HTTP_SERVICE_CONFIG_SSL_PARAM ParamDesc;
} HTTP_SERVICE_CONFIG_SSL_SNI_SET, *PHTTP_SERVICE_CONFIG_SSL_SNI_SET;
typedef struct _HTTP_SERVICE_CONFIG_URLACL_KEY { PWSTR pUrlPrefix; } HTTP_SERVICE_CONFIG_URLACL_KEY;
typedef struct _HTTP_SERVICE_CONFIG_URLACL_PARAM { PWSTR pStringSecurityDescriptor; } HTTP_SERVICE_CONFIG_URLACL_PARAM;
typedef struct _HTTP_SERVICE_CONFIG_URLACL_SET {
    HTTP_SERVICE_CONFIG_URLACL_KEY KeyDesc; HTTP_SERVICE_CONFIG_URLACL_PARAM ParamDesc;
} HTTP_SERVICE_CONFIG_URLACL_SET, *PHTTP_SERVICE_CONFIG_URLACL_SET;
typedef struct _HTTP_SERVICE_CONFIG_URLACL_QUERY {
    HTTP_SERVICE_CONFIG_QUERY_TYPE QueryDesc; HTTP_SERVICE_CONFIG_URLACL_KEY KeyDesc; DWORD dwToken;
} HTTP_SERVICE_CONFIG_URLACL_QUERY;
typedef struct _HTTP_SERVICE_CONFIG_SSL_QUERY {
    HTTP_SERVICE_CONFIG_QUERY_TYPE QueryDesc; HTTP_SERVICE_CONFIG_SSL_KEY KeyDesc; DWORD dwToken;
} HTTP_SERVICE_CONFIG_SSL_QUERY;
typedef struct _HTTP_SERVICE_CONFIG_SSL_SNI_QUERY {
    HTTP_SERVICE_CONFIG_QUERY_TYPE QueryDesc; HTTP_SERVICE_CONFIG_SSL_SNI_KEY KeyDesc; DWORD dwToken;
} HTTP_SERVICE_CONFIG_SSL_SNI_QUERY;
#define HTTP_SERVICE_CONFIG_SSL_FLAG_USE_DS_MAPPER 0x1u
#define HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT 0x2u
#define HTTP_SERVICE_CONFIG_SSL_FLAG_NO_RAW_FILTER 0x4u
#define HTTP_SERVICE_CONFIG_SSL_FLAG_REJECT 0x8u
#define HTTP_SERVICE_CONFIG_SSL_FLAG_DISABLE_HTTP2 0x10u
#define HTTP_SERVICE_CONFIG_SSL_FLAG_DISABLE_TLS13 0x40u
#define HTTP_SERVICE_CONFIG_SSL_FLAG_DISABLE_TLS12 0x1000u
typedef struct _HTTP_REQUEST_INFO { ULONG InfoType; ULONG InfoLength; PVOID pInfo; } HTTP_REQUEST_INFO, *PHTTP_REQUEST_INFO;

/* The V1 fields; V2 repeats them first (mingw uses an anonymous struct for the same layout). */
#define HTTP_REQUEST_V1_FIELDS \
    ULONG Flags; \
    HTTP_CONNECTION_ID ConnectionId; \
    HTTP_REQUEST_ID RequestId; \
    HTTP_URL_CONTEXT UrlContext; \
    HTTP_VERSION Version; \
    HTTP_VERB Verb; \
    USHORT UnknownVerbLength; \
    USHORT RawUrlLength; \
    PCSTR pUnknownVerb; \
    PCSTR pRawUrl; \
    HTTP_COOKED_URL CookedUrl; \
    HTTP_TRANSPORT_ADDRESS Address; \
    HTTP_REQUEST_HEADERS Headers; \
    ULONGLONG BytesReceived; \
    USHORT EntityChunkCount; \
    PHTTP_DATA_CHUNK pEntityChunks; \
    HTTP_RAW_CONNECTION_ID RawConnectionId; \
    PHTTP_SSL_INFO pSslInfo;
typedef struct _HTTP_REQUEST_V1 {
    HTTP_REQUEST_V1_FIELDS
} HTTP_REQUEST_V1;
typedef struct _HTTP_REQUEST_V2 {
    HTTP_REQUEST_V1_FIELDS
    USHORT RequestInfoCount;
    PHTTP_REQUEST_INFO pRequestInfo;
} HTTP_REQUEST_V2, HTTP_REQUEST, *PHTTP_REQUEST;

typedef struct _HTTP_RESPONSE_INFO { ULONG Type; ULONG Length; PVOID pInfo; } HTTP_RESPONSE_INFO, *PHTTP_RESPONSE_INFO;
#define HTTP_RESPONSE_V1_FIELDS \
    ULONG Flags; \
    HTTP_VERSION Version; \
    USHORT StatusCode; \
    USHORT ReasonLength; \
    PCSTR pReason; \
    HTTP_RESPONSE_HEADERS Headers; \
    USHORT EntityChunkCount; \
    PHTTP_DATA_CHUNK pEntityChunks;
typedef struct _HTTP_RESPONSE_V1 {
    HTTP_RESPONSE_V1_FIELDS
} HTTP_RESPONSE_V1;
typedef struct _HTTP_RESPONSE_V2 {
    HTTP_RESPONSE_V1_FIELDS
    USHORT ResponseInfoCount;
    PHTTP_RESPONSE_INFO pResponseInfo;
} HTTP_RESPONSE_V2, HTTP_RESPONSE, *PHTTP_RESPONSE;

/* F-162: the kernel response cache (chapter E of the behaviour reference). */
typedef enum _HTTP_CACHE_POLICY_TYPE {
    HttpCachePolicyNocache, HttpCachePolicyUserInvalidates, HttpCachePolicyTimeToLive, HttpCachePolicyMaximum
} HTTP_CACHE_POLICY_TYPE;
typedef struct _HTTP_CACHE_POLICY { ULONG Policy; ULONG SecondsToLive; } HTTP_CACHE_POLICY, *PHTTP_CACHE_POLICY;
#define HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE 0x1u
typedef struct _HTTP_LOG_DATA HTTP_LOG_DATA, *PHTTP_LOG_DATA;

typedef enum _HTTP_SERVER_PROPERTY {
    HttpServerAuthenticationProperty, HttpServerLoggingProperty, HttpServerQosProperty,
    HttpServerTimeoutsProperty, HttpServerQueueLengthProperty, HttpServerStateProperty,
    HttpServer503VerbosityProperty, HttpServerBindingProperty, HttpServerExtendedAuthenticationProperty,
    HttpServerListenEndpointProperty, HttpServerChannelBindProperty, HttpServerProtectionLevelProperty
} HTTP_SERVER_PROPERTY;
typedef struct _HTTP_PROPERTY_FLAGS { ULONG Present; } HTTP_PROPERTY_FLAGS;
/* Windows authentication (F-132..F-141). HTTP_REQUEST_AUTH_INFO in the Windows SDK's 80-byte form
 * (mingw-w64 lacks PackageNameLength and pPackageName). */
#define HTTP_AUTH_ENABLE_BASIC 0x1u
#define HTTP_AUTH_ENABLE_DIGEST 0x2u
#define HTTP_AUTH_ENABLE_NTLM 0x4u
#define HTTP_AUTH_ENABLE_NEGOTIATE 0x8u
#define HTTP_AUTH_ENABLE_KERBEROS 0x10u
#define HTTP_AUTH_ENABLE_ALL 0x1Fu
#define HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING 0x1u
#define HTTP_AUTH_EX_FLAG_CAPTURE_CREDENTIAL 0x2u
#define HTTP_REQUEST_AUTH_FLAG_TOKEN_FOR_CACHED_CRED 0x1u
#define HTTP_RESPONSE_INFO_FLAGS_PRESERVE_ORDER 0x1u
typedef struct _HTTP_SERVER_AUTHENTICATION_DIGEST_PARAMS {
    USHORT DomainNameLength; PWSTR DomainName; USHORT RealmLength; PWSTR Realm;
} HTTP_SERVER_AUTHENTICATION_DIGEST_PARAMS;
typedef struct _HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS {
    USHORT RealmLength; PWSTR Realm;
} HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS;
typedef struct _HTTP_SERVER_AUTHENTICATION_INFO {
    HTTP_PROPERTY_FLAGS Flags; ULONG AuthSchemes; BOOLEAN ReceiveMutualAuth; BOOLEAN ReceiveContextHandle;
    BOOLEAN DisableNTLMCredentialCaching; UCHAR ExFlags;
    HTTP_SERVER_AUTHENTICATION_DIGEST_PARAMS DigestParams; HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS BasicParams;
} HTTP_SERVER_AUTHENTICATION_INFO, *PHTTP_SERVER_AUTHENTICATION_INFO;
typedef enum _HTTP_AUTH_STATUS {
    HttpAuthStatusSuccess, HttpAuthStatusNotAuthenticated, HttpAuthStatusFailure
} HTTP_AUTH_STATUS;
typedef enum _HTTP_REQUEST_AUTH_TYPE {
    HttpRequestAuthTypeNone, HttpRequestAuthTypeBasic, HttpRequestAuthTypeDigest, HttpRequestAuthTypeNTLM,
    HttpRequestAuthTypeNegotiate, HttpRequestAuthTypeKerberos
} HTTP_REQUEST_AUTH_TYPE;
typedef LONG SECURITY_STATUS;
typedef struct _HTTP_REQUEST_AUTH_INFO {
    HTTP_AUTH_STATUS AuthStatus; SECURITY_STATUS SecStatus; ULONG Flags; HTTP_REQUEST_AUTH_TYPE AuthType;
    HANDLE AccessToken; ULONG ContextAttributes; ULONG PackedContextLength; ULONG PackedContextType;
    PVOID PackedContext; ULONG MutualAuthDataLength; PCHAR pMutualAuthData;
    USHORT PackageNameLength; PWSTR pPackageName;
} HTTP_REQUEST_AUTH_INFO, *PHTTP_REQUEST_AUTH_INFO;
typedef enum _HTTP_RESPONSE_INFO_TYPE {
    HttpResponseInfoTypeMultipleKnownHeaders, HttpResponseInfoTypeAuthenticationProperty,
    HttpResponseInfoTypeQoSProperty, HttpResponseInfoTypeChannelBind
} HTTP_RESPONSE_INFO_TYPE;
typedef struct _HTTP_MULTIPLE_KNOWN_HEADERS {
    HTTP_HEADER_ID HeaderId; ULONG Flags; USHORT KnownHeaderCount; PHTTP_KNOWN_HEADER KnownHeaders;
} HTTP_MULTIPLE_KNOWN_HEADERS, *PHTTP_MULTIPLE_KNOWN_HEADERS;
/* SSPI status codes the emulator reports in SecStatus (winerror.h). */
#define SEC_E_OK ((SECURITY_STATUS)0)
#define SEC_E_UNSUPPORTED_FUNCTION ((SECURITY_STATUS)0x80090302)
#define SEC_E_INTERNAL_ERROR ((SECURITY_STATUS)0x80090304)
#define SEC_E_SECPKG_NOT_FOUND ((SECURITY_STATUS)0x80090305)
#define SEC_E_INVALID_TOKEN ((SECURITY_STATUS)0x80090308)
#define SEC_E_LOGON_DENIED ((SECURITY_STATUS)0x8009030C)
#define SEC_E_UNKNOWN_CREDENTIALS ((SECURITY_STATUS)0x8009030D)
#define SEC_E_NO_CREDENTIALS ((SECURITY_STATUS)0x8009030E)
#define SEC_E_CONTEXT_EXPIRED ((SECURITY_STATUS)0x80090317)
#define SEC_E_WRONG_PRINCIPAL ((SECURITY_STATUS)0x80090322)
#define SEC_E_TIME_SKEW ((SECURITY_STATUS)0x80090324)

typedef enum _HTTP_ENABLED_STATE { HttpEnabledStateActive, HttpEnabledStateInactive } HTTP_ENABLED_STATE;
typedef struct _HTTP_STATE_INFO { HTTP_PROPERTY_FLAGS Flags; HTTP_ENABLED_STATE State; } HTTP_STATE_INFO;
typedef struct _HTTP_BINDING_INFO { HTTP_PROPERTY_FLAGS Flags; HANDLE RequestQueueHandle; } HTTP_BINDING_INFO;
typedef struct _HTTP_TIMEOUT_LIMIT_INFO {
    HTTP_PROPERTY_FLAGS Flags;
    USHORT EntityBody; USHORT DrainEntityBody; USHORT RequestQueue; USHORT IdleConnection; USHORT HeaderWait;
    ULONG MinSendRate;
} HTTP_TIMEOUT_LIMIT_INFO;
typedef enum _HTTP_QOS_SETTING_TYPE {
    HttpQosSettingTypeBandwidth, HttpQosSettingTypeConnectionLimit, HttpQosSettingTypeFlowRate
} HTTP_QOS_SETTING_TYPE;
typedef struct _HTTP_QOS_SETTING_INFO { HTTP_QOS_SETTING_TYPE QosType; PVOID QosSetting; } HTTP_QOS_SETTING_INFO;
typedef struct _HTTP_CONNECTION_LIMIT_INFO { HTTP_PROPERTY_FLAGS Flags; ULONG MaxConnections; } HTTP_CONNECTION_LIMIT_INFO;
typedef enum _HTTP_503_RESPONSE_VERBOSITY {
    Http503ResponseVerbosityBasic, Http503ResponseVerbosityLimited, Http503ResponseVerbosityFull
} HTTP_503_RESPONSE_VERBOSITY;

#define HTTP_INITIALIZE_SERVER 0x1u
#define HTTP_INITIALIZE_CONFIG 0x2u
#define HTTP_RECEIVE_REQUEST_FLAG_COPY_BODY 0x1u
#define HTTP_RECEIVE_REQUEST_FLAG_FLUSH_BODY 0x2u
#define HTTP_RECEIVE_REQUEST_ENTITY_BODY_FLAG_FILL_BUFFER 0x1u
#define HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS 0x1u
#define HTTP_REQUEST_FLAG_IP_ROUTED 0x2u
#define HTTP_REQUEST_FLAG_HTTP2 0x4u  /* F-153, F-186: the only sign of h2; Version says 1.1 */
#define HTTP_REQUEST_FLAG_HTTP3 0x8u
#define HTTP_SEND_RESPONSE_FLAG_DISCONNECT 0x1u
#define HTTP_SEND_RESPONSE_FLAG_MORE_DATA 0x2u
#define HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA 0x4u
#define HTTP_SEND_RESPONSE_FLAG_ENABLE_NAGLING 0x8u
#define HTTP_SEND_RESPONSE_FLAG_PROCESS_RANGES 0x20u
#define HTTP_SEND_RESPONSE_FLAG_OPAQUE 0x40u
#define HTTP_SEND_RESPONSE_FLAG_GOAWAY 0x100u  /* F-157 */
#define HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING 0x1u
#define HTTP_CREATE_REQUEST_QUEUE_FLAG_CONTROLLER 0x2u
#define HTTP_URL_FLAG_REMOVE_ALL 0x1u
#define HTTP_LIMIT_INFINITE 0xFFFFFFFFu

ULONG HttpInitialize(HTTPAPI_VERSION Version, ULONG Flags, PVOID pReserved);
ULONG HttpTerminate(ULONG Flags, PVOID pReserved);
ULONG HttpCreateServerSession(HTTPAPI_VERSION Version, PHTTP_SERVER_SESSION_ID pServerSessionId, ULONG Reserved);
ULONG HttpCloseServerSession(HTTP_SERVER_SESSION_ID ServerSessionId);
ULONG HttpSetServerSessionProperty(HTTP_SERVER_SESSION_ID ServerSessionId, HTTP_SERVER_PROPERTY Property,
                                   PVOID pPropertyInformation, ULONG PropertyInformationLength);
ULONG HttpCreateUrlGroup(HTTP_SERVER_SESSION_ID ServerSessionId, PHTTP_URL_GROUP_ID pUrlGroupId, ULONG Reserved);
ULONG HttpCloseUrlGroup(HTTP_URL_GROUP_ID UrlGroupId);
ULONG HttpAddUrlToUrlGroup(HTTP_URL_GROUP_ID UrlGroupId, PCWSTR pFullyQualifiedUrl, HTTP_URL_CONTEXT UrlContext,
                           ULONG Reserved);
ULONG HttpRemoveUrlFromUrlGroup(HTTP_URL_GROUP_ID UrlGroupId, PCWSTR pFullyQualifiedUrl, ULONG Flags);
ULONG HttpSetUrlGroupProperty(HTTP_URL_GROUP_ID UrlGroupId, HTTP_SERVER_PROPERTY Property,
                              PVOID pPropertyInformation, ULONG PropertyInformationLength);
ULONG HttpCreateRequestQueue(HTTPAPI_VERSION Version, PCWSTR pName, PSECURITY_ATTRIBUTES pSecurityAttributes,
                             ULONG Flags, PHANDLE pReqQueueHandle);
ULONG HttpCloseRequestQueue(HANDLE ReqQueueHandle);
ULONG HttpShutdownRequestQueue(HANDLE ReqQueueHandle);
ULONG HttpSetRequestQueueProperty(HANDLE ReqQueueHandle, HTTP_SERVER_PROPERTY Property, PVOID pPropertyInformation,
                                  ULONG PropertyInformationLength, ULONG Reserved1, PVOID Reserved2);
ULONG HttpReceiveHttpRequest(HANDLE ReqQueueHandle, HTTP_REQUEST_ID RequestId, ULONG Flags,
                             PHTTP_REQUEST pRequestBuffer, ULONG RequestBufferLength, PULONG pBytesReturned,
                             LPOVERLAPPED pOverlapped);
ULONG HttpReceiveRequestEntityBody(HANDLE ReqQueueHandle, HTTP_REQUEST_ID RequestId, ULONG Flags,
                                   PVOID pEntityBuffer, ULONG EntityBufferLength, PULONG pBytesReturned,
                                   LPOVERLAPPED pOverlapped);
ULONG HttpSendHttpResponse(HANDLE ReqQueueHandle, HTTP_REQUEST_ID RequestId, ULONG Flags,
                           PHTTP_RESPONSE pHttpResponse, PHTTP_CACHE_POLICY pCachePolicy, PULONG pBytesSent,
                           PVOID pReserved1, ULONG Reserved2, LPOVERLAPPED pOverlapped, PHTTP_LOG_DATA pLogData);
ULONG HttpSendResponseEntityBody(HANDLE ReqQueueHandle, HTTP_REQUEST_ID RequestId, ULONG Flags,
                                 USHORT EntityChunkCount, PHTTP_DATA_CHUNK pEntityChunks, PULONG pBytesSent,
                                 PVOID pReserved1, ULONG Reserved2, LPOVERLAPPED pOverlapped,
                                 PHTTP_LOG_DATA pLogData);
ULONG HttpWaitForDisconnect(HANDLE ReqQueueHandle, HTTP_CONNECTION_ID ConnectionId, LPOVERLAPPED pOverlapped);
ULONG HttpWaitForDisconnectEx(HANDLE ReqQueueHandle, HTTP_CONNECTION_ID ConnectionId, ULONG Reserved,
                              LPOVERLAPPED pOverlapped);
ULONG HttpCancelHttpRequest(HANDLE ReqQueueHandle, HTTP_REQUEST_ID RequestId, LPOVERLAPPED pOverlapped);
/* F-167, F-168 */
ULONG HttpFlushResponseCache(HANDLE ReqQueueHandle, PCWSTR pUrlPrefix, ULONG Flags, LPOVERLAPPED pOverlapped);
ULONG HttpAddFragmentToCache(HANDLE ReqQueueHandle, PCWSTR pUrlPrefix, PHTTP_DATA_CHUNK pDataChunk,
                             PHTTP_CACHE_POLICY pCachePolicy, LPOVERLAPPED pOverlapped);
ULONG HttpReadFragmentFromCache(HANDLE ReqQueueHandle, PCWSTR pUrlPrefix, PHTTP_BYTE_RANGE pByteRange, PVOID pBuffer,
                                ULONG BufferLength, PULONG pBytesRead, LPOVERLAPPED pOverlapped);

ULONG HttpSetServiceConfiguration(HANDLE ServiceHandle, HTTP_SERVICE_CONFIG_ID ConfigId, PVOID pConfigInformation,
                                   ULONG ConfigInformationLength, LPOVERLAPPED pOverlapped);
ULONG HttpQueryServiceConfiguration(HANDLE ServiceHandle, HTTP_SERVICE_CONFIG_ID ConfigId, PVOID pInput,
                                     ULONG InputLength, PVOID pOutput, ULONG OutputLength, PULONG pReturnLength,
                                     LPOVERLAPPED pOverlapped);
ULONG HttpDeleteServiceConfiguration(HANDLE ServiceHandle, HTTP_SERVICE_CONFIG_ID ConfigId, PVOID pConfigInformation,
                                      ULONG ConfigInformationLength, LPOVERLAPPED pOverlapped);
ULONG HttpReceiveClientCertificate(HANDLE ReqQueueHandle, HTTP_CONNECTION_ID ConnectionId, ULONG Flags,
                                    PHTTP_SSL_CLIENT_CERT_INFO pSslClientCertInfo, ULONG SslClientCertInfoSize,
                                    PULONG pBytesReceived, LPOVERLAPPED pOverlapped);
ULONG HttpQueryRequestProperty(HANDLE RequestQueueHandle, HTTP_OPAQUE_ID Id, HTTP_REQUEST_PROPERTY PropertyId,
                               PVOID Qualifier, ULONG QualifierSize, PVOID Output, ULONG OutputBufferSize,
                               PULONG BytesReturned, LPOVERLAPPED Overlapped);
/* F-158: HttpRequestPropertyStreamError with this input, then HttpCancelHttpRequest: RST_STREAM(ErrorCode). */
typedef struct _HTTP_REQUEST_PROPERTY_STREAM_ERROR { ULONG ErrorCode; } HTTP_REQUEST_PROPERTY_STREAM_ERROR;
ULONG HttpSetRequestProperty(HANDLE RequestQueueHandle, HTTP_OPAQUE_ID Id, HTTP_REQUEST_PROPERTY PropertyId,
                             PVOID Input, ULONG InputPropertySize, LPOVERLAPPED Overlapped);
/* F-160, F-188 */
typedef enum _HTTP_FEATURE_ID {
    HttpFeatureUnknown, HttpFeatureResponseTrailers, HttpFeatureApiTimings, HttpFeatureDelegateEx, HttpFeatureHttp3
} HTTP_FEATURE_ID;
BOOL HttpIsFeatureSupported(HTTP_FEATURE_ID FeatureId);

/* Emulator-only exports (never in httpapi.dll). */
typedef struct _HTTP_EMU_COUNTERS {
    ULONGLONG Sessions, UrlGroups, Queues, Ports, Connections, Requests, PendingOverlapped, BufferedBytes;
    /* Appended (older callers pass the size of the fields above): a cumulative count, not a live one. */
    ULONGLONG CompletionsNotPending; /* completions whose OVERLAPPED no longer said STATUS_PENDING */
    ULONGLONG Http2Objects;          /* live HTTP/2 sessions, streams and queued body pieces */
    /* Appended again: live access-token handles (F-139) and LocalAlloc blocks (ConvertSidToStringSidW). */
    ULONGLONG Tokens, LocalAllocs;
    /* Appended again: live kernel-cache entries (responses and fragments, F-162..F-168), and a cumulative
     * count of responses answered from the cache (F-165). */
    ULONGLONG CacheEntries, CacheHits;
} HTTP_EMU_COUNTERS;
ULONG HttpEmuGetCounters(HTTP_EMU_COUNTERS *pCounters, ULONG Size);
ULONG HttpEmuFailNext(const char *Function, ULONG Count, ULONG Win32Error);
ULONG HttpEmuClearFaults(void);
ULONGLONG HttpEmuGetCallCount(const char *Function);
void HttpEmuResetCallCounts(void);
ULONG HttpEmuSetStrict(ULONG On); /* returns the previous setting */
/* Stands in for importing a certificate into LocalMachine\My: the PEM file holds the certificate, its
 * chain and its private key; stored under its SHA-1 thumbprint, written to Thumbprint. Every stored
 * certificate (and chain) is also trusted when client certificates are verified. */
ULONG HttpEmuAddCertificate(PCSTR PemPath, UCHAR Thumbprint[20]);
ULONG HttpEmuClearCertificates(void); /* the store and every TLS binding */
/* Stands in for running as an administrator (the default) or not (HTTPEMU_UNELEVATED=1 at load):
 * unelevated, writing service configuration gives ERROR_ACCESS_DENIED and a strong or weak wildcard
 * prefix needs a URL ACL reservation (F-106, F-193). Returns the previous setting. */
ULONG HttpEmuSetElevated(ULONG On);
ULONG HttpEmuClearUrlAcls(void); /* forgets every URL ACL reservation */
/* advapi32 (sddl.h): a security descriptor from SDDL, freed with LocalFree; revision 1. */
BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision,
                                                          PVOID *SecurityDescriptor, PULONG SecurityDescriptorSize);
/* Stands in for a Windows account (F-142): DomainUser "DOMAIN\\user", its password, and Groups as
 * comma-separated "DOMAIN\\Group" names (NULL or empty: none). The account, its domain and each group
 * get SIDs derived from their names, so they are the same in every run. Registering a name again
 * replaces its password and groups. */
ULONG HttpEmuAddAccount(PCWSTR DomainUser, PCWSTR Password, PCWSTR Groups);
ULONG HttpEmuClearAccounts(void);

/* Windows x64 layout pins (httpapi-x64-layout.md; F-5, F-6). */
_Static_assert(sizeof(HTTP_KNOWN_HEADER) == 16, "HTTP_KNOWN_HEADER");
_Static_assert(sizeof(HTTP_UNKNOWN_HEADER) == 24, "HTTP_UNKNOWN_HEADER");
_Static_assert(sizeof(HTTP_REQUEST_HEADERS) == 688, "HTTP_REQUEST_HEADERS");
_Static_assert(sizeof(HTTP_RESPONSE_HEADERS) == 512, "HTTP_RESPONSE_HEADERS");
_Static_assert(sizeof(HTTP_COOKED_URL) == 40, "HTTP_COOKED_URL");
_Static_assert(sizeof(SOCKADDR_IN) == 16 && sizeof(SOCKADDR_IN6) == 28, "SOCKADDR");
_Static_assert(sizeof(HTTP_DATA_CHUNK) == 32, "HTTP_DATA_CHUNK");
_Static_assert(offsetof(HTTP_DATA_CHUNK, FromMemory.pBuffer) == 8, "pBuffer");
_Static_assert(offsetof(HTTP_DATA_CHUNK, FromMemory.BufferLength) == 16, "BufferLength");
_Static_assert(offsetof(HTTP_DATA_CHUNK, Trailers.TrailerCount) == 8, "TrailerCount");   /* F-159 */
_Static_assert(offsetof(HTTP_DATA_CHUNK, Trailers.pTrailers) == 16, "pTrailers");
_Static_assert(HttpDataChunkTrailers == 4, "HttpDataChunkTrailers");
_Static_assert(offsetof(HTTP_DATA_CHUNK, FromFragmentCache.FragmentNameLength) == 8 &&
               offsetof(HTTP_DATA_CHUNK, FromFragmentCache.pFragmentName) == 16, "FromFragmentCache");
_Static_assert(offsetof(HTTP_DATA_CHUNK, FromFragmentCacheEx.ByteRange) == 8 &&
               offsetof(HTTP_DATA_CHUNK, FromFragmentCacheEx.pFragmentName) == 24, "FromFragmentCacheEx");
_Static_assert(sizeof(HTTP_BYTE_RANGE) == 16 && sizeof(HTTP_CACHE_POLICY) == 8, "HTTP_BYTE_RANGE / HTTP_CACHE_POLICY");
_Static_assert(sizeof(HTTP_REQUEST_PROPERTY_STREAM_ERROR) == 4, "HTTP_REQUEST_PROPERTY_STREAM_ERROR");
_Static_assert(HttpRequestPropertyStreamError == 5, "HttpRequestPropertyStreamError");
_Static_assert(sizeof(HTTP_REQUEST_V1) == 848, "HTTP_REQUEST_V1");
_Static_assert(sizeof(HTTP_REQUEST_V2) == 864, "HTTP_REQUEST_V2");
_Static_assert(offsetof(HTTP_REQUEST_V1, ConnectionId) == 8, "ConnectionId");
_Static_assert(offsetof(HTTP_REQUEST_V1, RequestId) == 16, "RequestId");
_Static_assert(offsetof(HTTP_REQUEST_V1, UrlContext) == 24, "UrlContext");
_Static_assert(offsetof(HTTP_REQUEST_V1, Version) == 32, "Version");
_Static_assert(offsetof(HTTP_REQUEST_V1, Verb) == 36, "Verb");
_Static_assert(offsetof(HTTP_REQUEST_V1, UnknownVerbLength) == 40, "UnknownVerbLength");
_Static_assert(offsetof(HTTP_REQUEST_V1, RawUrlLength) == 42, "RawUrlLength");
_Static_assert(offsetof(HTTP_REQUEST_V1, pUnknownVerb) == 48, "pUnknownVerb");
_Static_assert(offsetof(HTTP_REQUEST_V1, pRawUrl) == 56, "pRawUrl");
_Static_assert(offsetof(HTTP_REQUEST_V1, CookedUrl) == 64, "CookedUrl");
_Static_assert(offsetof(HTTP_REQUEST_V1, Address) == 104, "Address");
_Static_assert(offsetof(HTTP_REQUEST_V1, Headers) == 120, "Headers");
_Static_assert(offsetof(HTTP_REQUEST_V1, BytesReceived) == 808, "BytesReceived");
_Static_assert(offsetof(HTTP_REQUEST_V1, EntityChunkCount) == 816, "EntityChunkCount");
_Static_assert(offsetof(HTTP_REQUEST_V1, pEntityChunks) == 824, "pEntityChunks");
_Static_assert(offsetof(HTTP_REQUEST_V1, RawConnectionId) == 832, "RawConnectionId");
_Static_assert(offsetof(HTTP_REQUEST_V1, pSslInfo) == 840, "pSslInfo");
_Static_assert(offsetof(HTTP_REQUEST_V2, RequestInfoCount) == 848, "RequestInfoCount");
_Static_assert(offsetof(HTTP_REQUEST_V2, pRequestInfo) == 856, "pRequestInfo");
_Static_assert(sizeof(HTTP_RESPONSE_V1) == 552 && sizeof(HTTP_RESPONSE_V2) == 568, "HTTP_RESPONSE");
_Static_assert(offsetof(HTTP_RESPONSE_V1, StatusCode) == 8, "StatusCode");
_Static_assert(offsetof(HTTP_RESPONSE_V1, pReason) == 16, "pReason");
_Static_assert(offsetof(HTTP_RESPONSE_V1, Headers) == 24, "Headers");
_Static_assert(offsetof(HTTP_RESPONSE_V1, EntityChunkCount) == 536, "EntityChunkCount");
_Static_assert(offsetof(HTTP_RESPONSE_V1, pEntityChunks) == 544, "pEntityChunks");
_Static_assert(sizeof(HTTP_TIMEOUT_LIMIT_INFO) == 20, "HTTP_TIMEOUT_LIMIT_INFO");
_Static_assert(offsetof(HTTP_TIMEOUT_LIMIT_INFO, MinSendRate) == 16, "MinSendRate");
_Static_assert(sizeof(HTTP_BINDING_INFO) == 16, "HTTP_BINDING_INFO");
_Static_assert(sizeof(HTTP_QOS_SETTING_INFO) == 16, "HTTP_QOS_SETTING_INFO");
_Static_assert(sizeof(HTTP_CONNECTION_LIMIT_INFO) == 8, "HTTP_CONNECTION_LIMIT_INFO");
_Static_assert(sizeof(OVERLAPPED) == 32 && offsetof(OVERLAPPED, hEvent) == 24, "OVERLAPPED");
_Static_assert(sizeof(OVERLAPPED_ENTRY) == 32 && offsetof(OVERLAPPED_ENTRY, dwNumberOfBytesTransferred) == 24,
               "OVERLAPPED_ENTRY");
_Static_assert(sizeof(SECURITY_ATTRIBUTES) == 24, "SECURITY_ATTRIBUTES");

_Static_assert(sizeof(HTTP_SSL_CLIENT_CERT_INFO) == 32 && offsetof(HTTP_SSL_CLIENT_CERT_INFO, Token) == 16 &&
               offsetof(HTTP_SSL_CLIENT_CERT_INFO, CertDeniedByMapper) == 24, "HTTP_SSL_CLIENT_CERT_INFO");
_Static_assert(sizeof(HTTP_SSL_INFO) == 48 && offsetof(HTTP_SSL_INFO, pServerCertIssuer) == 16 &&
               offsetof(HTTP_SSL_INFO, pClientCertInfo) == 32 && offsetof(HTTP_SSL_INFO, SslClientCertNegotiated) == 40,
               "HTTP_SSL_INFO");
_Static_assert(sizeof(HTTP_SSL_PROTOCOL_INFO) == 28, "HTTP_SSL_PROTOCOL_INFO");
_Static_assert(sizeof(HTTP_REQUEST_INFO) == 16 && offsetof(HTTP_REQUEST_INFO, pInfo) == 8, "HTTP_REQUEST_INFO");
_Static_assert(sizeof(HTTP_REQUEST_PROPERTY_SNI) == 516 && offsetof(HTTP_REQUEST_PROPERTY_SNI, Flags) == 512,
               "HTTP_REQUEST_PROPERTY_SNI");
_Static_assert(sizeof(SOCKADDR_STORAGE) == 128, "SOCKADDR_STORAGE");
_Static_assert(sizeof(SID_AND_ATTRIBUTES) == 16 && sizeof(TOKEN_USER) == 16 && sizeof(TOKEN_GROUPS) == 24 &&
               offsetof(TOKEN_GROUPS, Groups) == 8, "TOKEN_USER / TOKEN_GROUPS");
_Static_assert(sizeof(HTTP_SERVER_AUTHENTICATION_INFO) == 64 && offsetof(HTTP_SERVER_AUTHENTICATION_INFO, AuthSchemes) == 4 &&
               offsetof(HTTP_SERVER_AUTHENTICATION_INFO, ReceiveMutualAuth) == 8 &&
               offsetof(HTTP_SERVER_AUTHENTICATION_INFO, DisableNTLMCredentialCaching) == 10 &&
               offsetof(HTTP_SERVER_AUTHENTICATION_INFO, ExFlags) == 11 &&
               offsetof(HTTP_SERVER_AUTHENTICATION_INFO, DigestParams) == 16 &&
               offsetof(HTTP_SERVER_AUTHENTICATION_INFO, BasicParams) == 48, "HTTP_SERVER_AUTHENTICATION_INFO");
_Static_assert(sizeof(HTTP_SERVER_AUTHENTICATION_DIGEST_PARAMS) == 32 &&
               sizeof(HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS) == 16, "HTTP_SERVER_AUTHENTICATION_*_PARAMS");
_Static_assert(sizeof(HTTP_REQUEST_AUTH_INFO) == 80 && offsetof(HTTP_REQUEST_AUTH_INFO, AccessToken) == 16 &&
               offsetof(HTTP_REQUEST_AUTH_INFO, ContextAttributes) == 24 &&
               offsetof(HTTP_REQUEST_AUTH_INFO, PackedContext) == 40 &&
               offsetof(HTTP_REQUEST_AUTH_INFO, MutualAuthDataLength) == 48 &&
               offsetof(HTTP_REQUEST_AUTH_INFO, pMutualAuthData) == 56 &&
               offsetof(HTTP_REQUEST_AUTH_INFO, PackageNameLength) == 64 &&
               offsetof(HTTP_REQUEST_AUTH_INFO, pPackageName) == 72, "HTTP_REQUEST_AUTH_INFO");
_Static_assert(sizeof(HTTP_MULTIPLE_KNOWN_HEADERS) == 24 && offsetof(HTTP_MULTIPLE_KNOWN_HEADERS, KnownHeaderCount) == 8 &&
               offsetof(HTTP_MULTIPLE_KNOWN_HEADERS, KnownHeaders) == 16, "HTTP_MULTIPLE_KNOWN_HEADERS");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_SSL_PARAM) == 80 && offsetof(HTTP_SERVICE_CONFIG_SSL_PARAM, AppId) == 16 &&
               offsetof(HTTP_SERVICE_CONFIG_SSL_PARAM, pSslCertStoreName) == 32 &&
               offsetof(HTTP_SERVICE_CONFIG_SSL_PARAM, DefaultCertCheckMode) == 40 &&
               offsetof(HTTP_SERVICE_CONFIG_SSL_PARAM, pDefaultSslCtlIdentifier) == 56 &&
               offsetof(HTTP_SERVICE_CONFIG_SSL_PARAM, DefaultFlags) == 72, "HTTP_SERVICE_CONFIG_SSL_PARAM");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_SSL_SET) == 88 && offsetof(HTTP_SERVICE_CONFIG_SSL_SET, ParamDesc) == 8,
               "HTTP_SERVICE_CONFIG_SSL_SET");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_KEY) == 136 && offsetof(HTTP_SERVICE_CONFIG_SSL_SNI_KEY, Host) == 128,
               "HTTP_SERVICE_CONFIG_SSL_SNI_KEY");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_SET) == 216 && offsetof(HTTP_SERVICE_CONFIG_SSL_SNI_SET, ParamDesc) == 136,
               "HTTP_SERVICE_CONFIG_SSL_SNI_SET");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_URLACL_SET) == 16 && offsetof(HTTP_SERVICE_CONFIG_URLACL_SET, ParamDesc) == 8,
               "HTTP_SERVICE_CONFIG_URLACL_SET");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_URLACL_QUERY) == 24 && offsetof(HTTP_SERVICE_CONFIG_URLACL_QUERY, dwToken) == 16,
               "HTTP_SERVICE_CONFIG_URLACL_QUERY");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_SSL_QUERY) == 24 && offsetof(HTTP_SERVICE_CONFIG_SSL_QUERY, dwToken) == 16,
               "HTTP_SERVICE_CONFIG_SSL_QUERY");
_Static_assert(sizeof(HTTP_SERVICE_CONFIG_SSL_SNI_QUERY) == 152 && offsetof(HTTP_SERVICE_CONFIG_SSL_SNI_QUERY, dwToken) == 144,
               "HTTP_SERVICE_CONFIG_SSL_SNI_QUERY");

#endif
