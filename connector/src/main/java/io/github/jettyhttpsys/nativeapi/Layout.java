package io.github.jettyhttpsys.nativeapi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Windows x64 sizes, offsets and constants of the HTTP Server API and kernel32 structures the
 * connector reads and writes directly (httpapi-x64-layout.md, from mingw-w64's http.h). Every number
 * here is listed in {@link #numbers()} and checked by a test against the reference table.
 */
public final class Layout
{
    // ---- errors (Win32) ----
    public static final int NO_ERROR = 0;
    public static final int ERROR_FILE_NOT_FOUND = 2;
    public static final int ERROR_ACCESS_DENIED = 5;
    public static final int ERROR_INVALID_HANDLE = 6;
    public static final int ERROR_SHARING_VIOLATION = 32;
    public static final int ERROR_HANDLE_EOF = 38;
    public static final int ERROR_NOT_SUPPORTED = 50;
    public static final int ERROR_NETNAME_DELETED = 64;
    public static final int ERROR_INVALID_PARAMETER = 87;
    public static final int ERROR_INSUFFICIENT_BUFFER = 122;
    public static final int ERROR_ALREADY_EXISTS = 183;
    /** winerror.h; not a row of the reference table (the end of an HttpQueryServiceConfiguration enumeration). */
    public static final int ERROR_NO_MORE_ITEMS = 259;
    public static final int ERROR_MORE_DATA = 234;
    public static final int WAIT_TIMEOUT = 258;
    public static final int ERROR_ABANDONED_WAIT_0 = 735;
    public static final int ERROR_OPERATION_ABORTED = 995;
    public static final int ERROR_IO_PENDING = 997;
    public static final int ERROR_NOT_FOUND = 1168;
    public static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    public static final int ERROR_CONNECTION_INVALID = 1229;
    public static final int ERROR_CONNECTION_ABORTED = 1236;

    // ---- flags ----
    public static final int HTTP_INITIALIZE_SERVER = 0x1;
    public static final int HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS = 0x1;
    public static final int HTTP_SEND_RESPONSE_FLAG_DISCONNECT = 0x1;
    public static final int HTTP_SEND_RESPONSE_FLAG_MORE_DATA = 0x2;
    public static final int HTTP_SEND_RESPONSE_FLAG_GOAWAY = 0x100;
    public static final int HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA = 0x4;
    public static final int HTTP_SEND_RESPONSE_FLAG_OPAQUE = 0x40;
    public static final int HTTP_REQUEST_FLAG_HTTP2 = 0x4;
    public static final int HTTP_REQUEST_FLAG_HTTP3 = 0x8;
    public static final int HttpRequestPropertyStreamError = 5;
    public static final int HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING = 0x1;
    public static final int HTTP_URL_FLAG_REMOVE_ALL = 0x1;

    // ---- HTTP_SERVER_PROPERTY ----
    public static final int HttpServerQosProperty = 2;
    public static final int HttpServerTimeoutsProperty = 3;
    public static final int HttpServerQueueLengthProperty = 4;
    public static final int HttpServer503VerbosityProperty = 6;
    public static final int HttpServerBindingProperty = 7;
    public static final int HttpQosSettingTypeConnectionLimit = 1;

    // ---- HTTP_VERB ----
    public static final int HttpVerbUnknown = 1;
    public static final int HttpVerbOPTIONS = 3;
    public static final int HttpVerbSEARCH = 19;
    private static final String[] VERBS = {null, null, null, "OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE",
        "CONNECT", "TRACK", "MOVE", "COPY", "PROPFIND", "PROPPATCH", "MKCOL", "LOCK", "UNLOCK", "SEARCH"};

    // ---- HTTP_HEADER_ID ----
    public static final int HttpHeaderRequestMaximum = 41;
    public static final int HttpHeaderResponseMaximum = 30;
    public static final int HttpHeaderContentLength = 11;
    public static final int HttpHeaderTransferEncoding = 6;
    public static final int HttpHeaderHost = 28;
    public static final int HttpHeaderConnection = 1;
    public static final int HttpHeaderServer = 26;
    public static final int HttpHeaderDate = 2;
    private static final String[] REQUEST_HEADERS = {
        "Cache-Control", "Connection", "Date", "Keep-Alive", "Pragma", "Trailer", "Transfer-Encoding", "Upgrade", "Via",
        "Warning", "Allow", "Content-Length", "Content-Type", "Content-Encoding", "Content-Language", "Content-Location",
        "Content-MD5", "Content-Range", "Expires", "Last-Modified", "Accept", "Accept-Charset", "Accept-Encoding",
        "Accept-Language", "Authorization", "Cookie", "Expect", "From", "Host", "If-Match", "If-Modified-Since",
        "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Proxy-Authorization", "Referer", "Range",
        "TE", "Translate", "User-Agent"};
    private static final String[] RESPONSE_HEADERS = {
        "Cache-Control", "Connection", "Date", "Keep-Alive", "Pragma", "Trailer", "Transfer-Encoding", "Upgrade", "Via",
        "Warning", "Allow", "Content-Length", "Content-Type", "Content-Encoding", "Content-Language", "Content-Location",
        "Content-MD5", "Content-Range", "Expires", "Last-Modified", "Accept-Ranges", "Age", "ETag", "Location",
        "Proxy-Authenticate", "Retry-After", "Server", "Set-Cookie", "Vary", "WWW-Authenticate"};
    private static final int[][] RESPONSE_HEADERS_BY_LENGTH;

    static
    {
        int max = 0;
        for (String h : RESPONSE_HEADERS)
            max = Math.max(max, h.length());
        RESPONSE_HEADERS_BY_LENGTH = new int[max + 1][];
        for (int len = 0; len <= max; len++)
        {
            int n = 0;
            for (String h : RESPONSE_HEADERS)
                if (h.length() == len)
                    n++;
            int[] ids = new int[n];
            n = 0;
            for (int i = 0; i < RESPONSE_HEADERS.length; i++)
                if (RESPONSE_HEADERS[i].length() == len)
                    ids[n++] = i;
            RESPONSE_HEADERS_BY_LENGTH[len] = ids;
        }
    }

    // ---- address families (Windows values) ----
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 23;

    // ---- OVERLAPPED / OVERLAPPED_ENTRY ----
    public static final int OVERLAPPED_SIZE = 32;
    public static final int OVERLAPPED_INTERNAL = 0;
    public static final int OVERLAPPED_INTERNAL_HIGH = 8;
    public static final int OVERLAPPED_ENTRY_SIZE = 32;
    public static final int OVERLAPPED_ENTRY_KEY = 0;
    public static final int OVERLAPPED_ENTRY_OVERLAPPED = 8;
    public static final int OVERLAPPED_ENTRY_INTERNAL = 16;
    public static final int OVERLAPPED_ENTRY_BYTES = 24;

    // ---- HTTP_REQUEST_V1 / V2 ----
    public static final int HTTP_REQUEST_V1_SIZE = 848;
    public static final int HTTP_REQUEST_V2_SIZE = 864;
    public static final int REQ_FLAGS = 0;
    public static final int REQ_CONNECTION_ID = 8;
    public static final int REQ_REQUEST_ID = 16;
    public static final int REQ_URL_CONTEXT = 24;
    public static final int REQ_VERSION = 32;
    public static final int REQ_VERB = 36;
    public static final int REQ_UNKNOWN_VERB_LENGTH = 40;
    public static final int REQ_RAW_URL_LENGTH = 42;
    public static final int REQ_P_UNKNOWN_VERB = 48;
    public static final int REQ_P_RAW_URL = 56;
    public static final int REQ_COOKED_URL = 64;
    public static final int REQ_ADDRESS = 104;
    public static final int REQ_HEADERS = 120;
    public static final int REQ_BYTES_RECEIVED = 808;
    public static final int REQ_P_SSL_INFO = 840;
    // TLS data of a request, kernel certificate bindings (F-112…F-130)
    public static final int REQ_REQUEST_INFO_COUNT = 848;
    public static final int REQ_P_REQUEST_INFO = 856;
    public static final int HTTP_REQUEST_INFO_SIZE = 16;
    public static final int REQUEST_INFO_TYPE = 0;
    public static final int REQUEST_INFO_LENGTH = 4;
    public static final int REQUEST_INFO_P_INFO = 8;
    public static final int HttpRequestInfoTypeSslProtocol = 2;
    public static final int HttpRequestInfoTypeAuth = 0;
    // HTTP_REQUEST_AUTH_INFO (80 bytes, the SDK's form; F-138)
    public static final int HTTP_REQUEST_AUTH_INFO_SIZE = 80;
    public static final int AUTH_INFO_STATUS = 0;
    public static final int AUTH_INFO_SEC_STATUS = 4;
    public static final int AUTH_INFO_FLAGS = 8;
    public static final int AUTH_INFO_TYPE = 12;
    public static final int AUTH_INFO_ACCESS_TOKEN = 16;
    public static final int AUTH_INFO_MUTUAL_LENGTH = 48;
    public static final int AUTH_INFO_P_MUTUAL = 56;
    public static final int AUTH_INFO_PACKAGE_NAME_LENGTH = 64;
    public static final int AUTH_INFO_P_PACKAGE_NAME = 72;
    public static final int HttpAuthStatusSuccess = 0;
    public static final int HttpAuthStatusNotAuthenticated = 1;
    public static final int HttpAuthStatusFailure = 2;
    public static final int HttpRequestAuthTypeBasic = 1;
    public static final int HttpRequestAuthTypeDigest = 2;
    public static final int HttpRequestAuthTypeNTLM = 3;
    public static final int HttpRequestAuthTypeNegotiate = 4;
    public static final int HttpRequestAuthTypeKerberos = 5;
    public static final int HTTP_REQUEST_AUTH_FLAG_TOKEN_FOR_CACHED_CRED = 1;
    // HTTP_SERVER_AUTHENTICATION_INFO (64 bytes; F-132)
    public static final int HttpServerAuthenticationProperty = 0;
    public static final int HTTP_SERVER_AUTHENTICATION_INFO_SIZE = 64;
    public static final int SERVER_AUTH_SCHEMES = 4;
    public static final int SERVER_AUTH_DISABLE_NTLM_CACHING = 10;
    public static final int SERVER_AUTH_EX_FLAGS = 11;
    public static final int SERVER_AUTH_BASIC_PARAMS = 48;
    public static final int BASIC_PARAMS_REALM_LENGTH = 0;
    public static final int BASIC_PARAMS_REALM = 8;
    public static final int HTTP_AUTH_ENABLE_BASIC = 1;
    public static final int HTTP_AUTH_ENABLE_NTLM = 4;
    public static final int HTTP_AUTH_ENABLE_NEGOTIATE = 8;
    public static final int HTTP_AUTH_ENABLE_KERBEROS = 0x10;
    public static final int HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING = 1;
    // a 401's several WWW-Authenticate values (F-134)
    public static final int RESP_RESPONSE_INFO_COUNT = 552;
    public static final int RESP_P_RESPONSE_INFO = 560;
    public static final int HTTP_RESPONSE_INFO_SIZE = 16;
    public static final int RESPONSE_INFO_TYPE = 0;
    public static final int RESPONSE_INFO_LENGTH = 4;
    public static final int RESPONSE_INFO_P_INFO = 8;
    public static final int HttpResponseInfoTypeMultipleKnownHeaders = 0;
    public static final int HTTP_MULTIPLE_KNOWN_HEADERS_SIZE = 24;
    public static final int MULTIPLE_KNOWN_HEADER_ID = 0;
    public static final int MULTIPLE_KNOWN_COUNT = 8;
    public static final int MULTIPLE_KNOWN_P_HEADERS = 16;
    public static final int HttpHeaderWwwAuthenticate = 29;
    // SECURITY_ATTRIBUTES: nLength @0, lpSecurityDescriptor @8, bInheritHandle @16
    public static final int SECURITY_ATTRIBUTES_SIZE = 24;
    public static final int SA_SECURITY_DESCRIPTOR = 8;
    public static final int HTTP_SSL_INFO_SIZE = 48;
    public static final int SSL_SERVER_CERT_KEY_SIZE = 0;
    public static final int SSL_CONNECTION_KEY_SIZE = 2;
    public static final int SSL_SERVER_CERT_SUBJECT_SIZE = 8;
    public static final int SSL_P_SERVER_CERT_SUBJECT = 24;
    public static final int SSL_P_CLIENT_CERT_INFO = 32;
    public static final int SSL_CLIENT_CERT_NEGOTIATED = 40;
    public static final int HTTP_SSL_CLIENT_CERT_INFO_SIZE = 32;
    public static final int CLIENT_CERT_FLAGS = 0;
    public static final int CLIENT_CERT_ENCODED_SIZE = 4;
    public static final int CLIENT_CERT_P_ENCODED = 8;
    public static final int HTTP_SSL_PROTOCOL_INFO_SIZE = 28;
    public static final int SSL_PROTOCOL = 0;
    public static final int SSL_CIPHER_TYPE = 4;
    public static final int SSL_CIPHER_STRENGTH = 8;
    public static final int SSL_HASH_TYPE = 12;
    public static final int SSL_KEY_EXCHANGE_TYPE = 20;
    public static final int HTTP_SERVICE_CONFIG_SSL_SET_SIZE = 88;
    public static final int SSL_SET_PARAM_DESC = 8;
    public static final int SSL_PARAM_HASH_LENGTH = 0;
    public static final int SSL_PARAM_P_HASH = 8;
    public static final int SSL_PARAM_APP_ID = 16;
    public static final int SSL_PARAM_P_STORE_NAME = 32;
    public static final int SSL_PARAM_DEFAULT_FLAGS = 72;
    public static final int HttpServiceConfigSSLCertInfo = 1;
    public static final int HttpServiceConfigUrlAclInfo = 2;
    public static final int HttpServiceConfigSslSniCertInfo = 5;
    // HTTP_SERVICE_CONFIG_URLACL_SET: pUrlPrefix @0, pStringSecurityDescriptor @8
    public static final int HTTP_SERVICE_CONFIG_URLACL_SET_SIZE = 16;
    public static final int URLACL_SET_PARAM_DESC = 8;
    public static final int HTTP_SERVICE_CONFIG_URLACL_QUERY_SIZE = 24;
    public static final int URLACL_QUERY_KEY_DESC = 8;
    public static final int URLACL_QUERY_TOKEN = 16;
    public static final int HttpServiceConfigQueryExact = 0;
    public static final int HttpServiceConfigQueryNext = 1;
    // HTTP_SERVICE_CONFIG_SSL_SNI_SET (F-114): SOCKADDR_STORAGE IpPort @0 (128), PWSTR Host @128, ParamDesc @136.
    // Not in the reference table's rows: LayoutTest derives them from SOCKADDR_STORAGE and SSL_PARAM there.
    public static final int SOCKADDR_STORAGE_SIZE = 128;
    public static final int SSL_SNI_KEY_HOST = SOCKADDR_STORAGE_SIZE;
    public static final int SSL_SNI_SET_PARAM_DESC = SSL_SNI_KEY_HOST + 8;
    public static final int HTTP_SERVICE_CONFIG_SSL_SNI_SET_SIZE = SSL_SNI_SET_PARAM_DESC + 80;
    public static final int HTTP_INITIALIZE_CONFIG = 2;
    public static final int HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT = 2;

    // ---- HTTP_COOKED_URL ----
    public static final int COOKED_FULL_URL_LENGTH = 0;
    public static final int COOKED_HOST_LENGTH = 2;
    public static final int COOKED_ABS_PATH_LENGTH = 4;
    public static final int COOKED_QUERY_STRING_LENGTH = 6;
    public static final int COOKED_P_FULL_URL = 8;
    public static final int COOKED_P_HOST = 16;

    // ---- HTTP_REQUEST_HEADERS / HTTP_RESPONSE_HEADERS ----
    public static final int HEADERS_UNKNOWN_COUNT = 0;
    public static final int HEADERS_P_UNKNOWN = 8;
    public static final int HEADERS_KNOWN = 32;
    public static final int HTTP_REQUEST_HEADERS_SIZE = 688;
    public static final int HTTP_RESPONSE_HEADERS_SIZE = 512;
    public static final int HTTP_KNOWN_HEADER_SIZE = 16;
    public static final int KNOWN_RAW_VALUE_LENGTH = 0;
    public static final int KNOWN_P_RAW_VALUE = 8;
    public static final int HTTP_UNKNOWN_HEADER_SIZE = 24;
    public static final int UNKNOWN_NAME_LENGTH = 0;
    public static final int UNKNOWN_RAW_VALUE_LENGTH = 2;
    public static final int UNKNOWN_P_NAME = 8;
    public static final int UNKNOWN_P_RAW_VALUE = 16;

    // ---- HTTP_RESPONSE_V1 / V2 ----
    public static final int HTTP_RESPONSE_V1_SIZE = 552;
    public static final int HTTP_RESPONSE_V2_SIZE = 568;
    public static final int RESP_FLAGS = 0;
    public static final int RESP_VERSION = 4;
    public static final int RESP_STATUS_CODE = 8;
    public static final int RESP_REASON_LENGTH = 10;
    public static final int RESP_P_REASON = 16;
    public static final int RESP_HEADERS = 24;
    public static final int RESP_ENTITY_CHUNK_COUNT = 536;
    public static final int RESP_P_ENTITY_CHUNKS = 544;

    // ---- HTTP_DATA_CHUNK ----
    public static final int HTTP_DATA_CHUNK_SIZE = 32;

    // ---- HTTP_CACHE_POLICY (F-162): the pCachePolicy of HttpSendHttpResponse ----
    public static final int HTTP_CACHE_POLICY_SIZE = 8;
    public static final int CACHE_POLICY_POLICY = 0;
    public static final int CACHE_POLICY_SECONDS_TO_LIVE = 4;
    public static final int HttpCachePolicyNocache = 0;
    /** Not a row of the reference table (it lists Nocache only): F-162 and mingw's http.h give UserInvalidates 1, TimeToLive 2. */
    public static final int HttpCachePolicyTimeToLive = 2;
    public static final int HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE = 1;
    public static final int CHUNK_TYPE = 0;
    public static final int CHUNK_P_BUFFER = 8;
    public static final int CHUNK_BUFFER_LENGTH = 16;
    public static final int HttpDataChunkFromMemory = 0;
    public static final int HttpDataChunkTrailers = 4;
    // The Trailers member of the HTTP_DATA_CHUNK union (F-159; not a row of the reference table):
    // USHORT TrailerCount @8, HTTP_UNKNOWN_HEADER *pTrailers @16.
    public static final int CHUNK_TRAILER_COUNT = 8;
    public static final int CHUNK_P_TRAILERS = 16;
    /** HTTP_FEATURE_ID HttpFeatureResponseTrailers (F-160; not a row of the reference table). */
    public static final int HttpFeatureResponseTrailers = 1;

    // ---- property structs ----
    public static final int HTTP_BINDING_INFO_SIZE = 16;
    public static final int BINDING_REQUEST_QUEUE_HANDLE = 8;
    public static final int HTTP_TIMEOUT_LIMIT_INFO_SIZE = 20;
    public static final int TIMEOUT_ENTITY_BODY = 4;
    public static final int TIMEOUT_DRAIN_ENTITY_BODY = 6;
    public static final int TIMEOUT_REQUEST_QUEUE = 8;
    public static final int TIMEOUT_IDLE_CONNECTION = 10;
    public static final int TIMEOUT_HEADER_WAIT = 12;
    public static final int TIMEOUT_MIN_SEND_RATE = 16;
    public static final int HTTP_QOS_SETTING_INFO_SIZE = 16;
    public static final int QOS_SETTING = 8;
    public static final int HTTP_CONNECTION_LIMIT_INFO_SIZE = 8;
    public static final int CONNECTION_LIMIT_MAX = 4;

    // ---- NTSTATUS in OVERLAPPED.Internal ----
    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_BUFFER_OVERFLOW = 0x80000005;
    public static final int STATUS_END_OF_FILE = 0xC0000011;
    public static final int STATUS_CANCELLED = 0xC0000120;
    public static final int STATUS_CONNECTION_INVALID = 0xC000023A;
    public static final int STATUS_NETWORK_NAME_DELETED = 0xC00000C9;
    public static final int STATUS_CONNECTION_ABORTED = 0xC0000241;
    public static final int STATUS_INVALID_PARAMETER = 0xC000000D;

    private static final Map<String, Long> NUMBERS = new LinkedHashMap<>();

    static
    {
        n("HTTP_REQUEST_V1", HTTP_REQUEST_V1_SIZE);
        n("HTTP_REQUEST_V2", HTTP_REQUEST_V2_SIZE);
        n("HTTP_REQUEST_V1.Flags", REQ_FLAGS);
        n("HTTP_REQUEST_V1.ConnectionId", REQ_CONNECTION_ID);
        n("HTTP_REQUEST_V1.RequestId", REQ_REQUEST_ID);
        n("HTTP_REQUEST_V1.UrlContext", REQ_URL_CONTEXT);
        n("HTTP_REQUEST_V1.Version", REQ_VERSION);
        n("HTTP_REQUEST_V1.Verb", REQ_VERB);
        n("HTTP_REQUEST_V1.UnknownVerbLength", REQ_UNKNOWN_VERB_LENGTH);
        n("HTTP_REQUEST_V1.RawUrlLength", REQ_RAW_URL_LENGTH);
        n("HTTP_REQUEST_V1.pUnknownVerb", REQ_P_UNKNOWN_VERB);
        n("HTTP_REQUEST_V1.pRawUrl", REQ_P_RAW_URL);
        n("HTTP_REQUEST_V1.CookedUrl", REQ_COOKED_URL);
        n("HTTP_REQUEST_V1.Address", REQ_ADDRESS);
        n("HTTP_REQUEST_V1.Headers", REQ_HEADERS);
        n("HTTP_REQUEST_V1.BytesReceived", REQ_BYTES_RECEIVED);
        n("HTTP_REQUEST_V1.pSslInfo", REQ_P_SSL_INFO);
        n("HTTP_REQUEST_V2.RequestInfoCount", REQ_REQUEST_INFO_COUNT);
        n("HTTP_REQUEST_V2.pRequestInfo", REQ_P_REQUEST_INFO);
        n("HTTP_REQUEST_INFO", HTTP_REQUEST_INFO_SIZE);
        n("HTTP_REQUEST_INFO.InfoType", REQUEST_INFO_TYPE);
        n("HttpRequestInfoTypeAuth", HttpRequestInfoTypeAuth);
        n("HTTP_REQUEST_AUTH_INFO", HTTP_REQUEST_AUTH_INFO_SIZE);
        n("HTTP_REQUEST_AUTH_INFO.AuthStatus", AUTH_INFO_STATUS);
        n("HTTP_REQUEST_AUTH_INFO.SecStatus", AUTH_INFO_SEC_STATUS);
        n("HTTP_REQUEST_AUTH_INFO.Flags", AUTH_INFO_FLAGS);
        n("HTTP_REQUEST_AUTH_INFO.AuthType", AUTH_INFO_TYPE);
        n("HTTP_REQUEST_AUTH_INFO.AccessToken", AUTH_INFO_ACCESS_TOKEN);
        n("HTTP_REQUEST_AUTH_INFO.MutualAuthDataLength", AUTH_INFO_MUTUAL_LENGTH);
        n("HTTP_REQUEST_AUTH_INFO.pMutualAuthData", AUTH_INFO_P_MUTUAL);
        n("HTTP_REQUEST_AUTH_INFO.PackageNameLength", AUTH_INFO_PACKAGE_NAME_LENGTH);
        n("HTTP_REQUEST_AUTH_INFO.pPackageName", AUTH_INFO_P_PACKAGE_NAME);
        n("HttpAuthStatusSuccess", HttpAuthStatusSuccess);
        n("HttpAuthStatusNotAuthenticated", HttpAuthStatusNotAuthenticated);
        n("HttpAuthStatusFailure", HttpAuthStatusFailure);
        n("HttpRequestAuthTypeBasic", HttpRequestAuthTypeBasic);
        n("HttpRequestAuthTypeDigest", HttpRequestAuthTypeDigest);
        n("HttpRequestAuthTypeNTLM", HttpRequestAuthTypeNTLM);
        n("HttpRequestAuthTypeNegotiate", HttpRequestAuthTypeNegotiate);
        n("HttpRequestAuthTypeKerberos", HttpRequestAuthTypeKerberos);
        n("HTTP_REQUEST_AUTH_FLAG_TOKEN_FOR_CACHED_CRED", HTTP_REQUEST_AUTH_FLAG_TOKEN_FOR_CACHED_CRED);
        n("HttpServerAuthenticationProperty", HttpServerAuthenticationProperty);
        n("HTTP_SERVER_AUTHENTICATION_INFO", HTTP_SERVER_AUTHENTICATION_INFO_SIZE);
        n("HTTP_SERVER_AUTHENTICATION_INFO.AuthSchemes", SERVER_AUTH_SCHEMES);
        n("HTTP_SERVER_AUTHENTICATION_INFO.DisableNTLMCredentialCaching", SERVER_AUTH_DISABLE_NTLM_CACHING);
        n("HTTP_SERVER_AUTHENTICATION_INFO.ExFlags", SERVER_AUTH_EX_FLAGS);
        n("HTTP_SERVER_AUTHENTICATION_INFO.BasicParams", SERVER_AUTH_BASIC_PARAMS);
        n("HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS.RealmLength", BASIC_PARAMS_REALM_LENGTH);
        n("HTTP_SERVER_AUTHENTICATION_BASIC_PARAMS.Realm", BASIC_PARAMS_REALM);
        n("HTTP_AUTH_ENABLE_BASIC", HTTP_AUTH_ENABLE_BASIC);
        n("HTTP_AUTH_ENABLE_NTLM", HTTP_AUTH_ENABLE_NTLM);
        n("HTTP_AUTH_ENABLE_NEGOTIATE", HTTP_AUTH_ENABLE_NEGOTIATE);
        n("HTTP_AUTH_ENABLE_KERBEROS", HTTP_AUTH_ENABLE_KERBEROS);
        n("HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING", HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING);
        n("HTTP_RESPONSE_V2.ResponseInfoCount", RESP_RESPONSE_INFO_COUNT);
        n("HTTP_RESPONSE_V2.pResponseInfo", RESP_P_RESPONSE_INFO);
        n("HTTP_RESPONSE_INFO", HTTP_RESPONSE_INFO_SIZE);
        n("HTTP_RESPONSE_INFO.Type", RESPONSE_INFO_TYPE);
        n("HTTP_RESPONSE_INFO.Length", RESPONSE_INFO_LENGTH);
        n("HTTP_RESPONSE_INFO.pInfo", RESPONSE_INFO_P_INFO);
        n("HttpResponseInfoTypeMultipleKnownHeaders", HttpResponseInfoTypeMultipleKnownHeaders);
        n("HTTP_MULTIPLE_KNOWN_HEADERS", HTTP_MULTIPLE_KNOWN_HEADERS_SIZE);
        n("HTTP_MULTIPLE_KNOWN_HEADERS.HeaderId", MULTIPLE_KNOWN_HEADER_ID);
        n("HTTP_MULTIPLE_KNOWN_HEADERS.KnownHeaderCount", MULTIPLE_KNOWN_COUNT);
        n("HTTP_MULTIPLE_KNOWN_HEADERS.KnownHeaders", MULTIPLE_KNOWN_P_HEADERS);
        n("HttpHeaderWwwAuthenticate", HttpHeaderWwwAuthenticate);
        n("SECURITY_ATTRIBUTES", SECURITY_ATTRIBUTES_SIZE);
        n("SECURITY_ATTRIBUTES.lpSecurityDescriptor", SA_SECURITY_DESCRIPTOR);
        n("HTTP_REQUEST_INFO.InfoLength", REQUEST_INFO_LENGTH);
        n("HTTP_REQUEST_INFO.pInfo", REQUEST_INFO_P_INFO);
        n("HttpRequestInfoTypeSslProtocol", HttpRequestInfoTypeSslProtocol);
        n("HTTP_SSL_INFO", HTTP_SSL_INFO_SIZE);
        n("HTTP_SSL_INFO.ServerCertKeySize", SSL_SERVER_CERT_KEY_SIZE);
        n("HTTP_SSL_INFO.ConnectionKeySize", SSL_CONNECTION_KEY_SIZE);
        n("HTTP_SSL_INFO.ServerCertSubjectSize", SSL_SERVER_CERT_SUBJECT_SIZE);
        n("HTTP_SSL_INFO.pServerCertSubject", SSL_P_SERVER_CERT_SUBJECT);
        n("HTTP_SSL_INFO.pClientCertInfo", SSL_P_CLIENT_CERT_INFO);
        n("HTTP_SSL_INFO.SslClientCertNegotiated", SSL_CLIENT_CERT_NEGOTIATED);
        n("HTTP_SSL_CLIENT_CERT_INFO", HTTP_SSL_CLIENT_CERT_INFO_SIZE);
        n("HTTP_SSL_CLIENT_CERT_INFO.CertFlags", CLIENT_CERT_FLAGS);
        n("HTTP_SSL_CLIENT_CERT_INFO.CertEncodedSize", CLIENT_CERT_ENCODED_SIZE);
        n("HTTP_SSL_CLIENT_CERT_INFO.pCertEncoded", CLIENT_CERT_P_ENCODED);
        n("HTTP_SSL_PROTOCOL_INFO", HTTP_SSL_PROTOCOL_INFO_SIZE);
        n("HTTP_SSL_PROTOCOL_INFO.Protocol", SSL_PROTOCOL);
        n("HTTP_SSL_PROTOCOL_INFO.CipherType", SSL_CIPHER_TYPE);
        n("HTTP_SSL_PROTOCOL_INFO.CipherStrength", SSL_CIPHER_STRENGTH);
        n("HTTP_SSL_PROTOCOL_INFO.HashType", SSL_HASH_TYPE);
        n("HTTP_SSL_PROTOCOL_INFO.KeyExchangeType", SSL_KEY_EXCHANGE_TYPE);
        n("HTTP_SERVICE_CONFIG_SSL_SET", HTTP_SERVICE_CONFIG_SSL_SET_SIZE);
        n("HTTP_SERVICE_CONFIG_SSL_SET.ParamDesc", SSL_SET_PARAM_DESC);
        n("HTTP_SERVICE_CONFIG_SSL_PARAM.SslHashLength", SSL_PARAM_HASH_LENGTH);
        n("HTTP_SERVICE_CONFIG_SSL_PARAM.pSslHash", SSL_PARAM_P_HASH);
        n("HTTP_SERVICE_CONFIG_SSL_PARAM.AppId", SSL_PARAM_APP_ID);
        n("HTTP_SERVICE_CONFIG_SSL_PARAM.pSslCertStoreName", SSL_PARAM_P_STORE_NAME);
        n("HTTP_SERVICE_CONFIG_SSL_PARAM.DefaultFlags", SSL_PARAM_DEFAULT_FLAGS);
        n("HttpServiceConfigSSLCertInfo", HttpServiceConfigSSLCertInfo);
        n("HTTP_SERVICE_CONFIG_URLACL_SET", HTTP_SERVICE_CONFIG_URLACL_SET_SIZE);
        n("HTTP_SERVICE_CONFIG_URLACL_SET.ParamDesc", URLACL_SET_PARAM_DESC);
        n("HTTP_SERVICE_CONFIG_URLACL_QUERY", HTTP_SERVICE_CONFIG_URLACL_QUERY_SIZE);
        n("HTTP_SERVICE_CONFIG_URLACL_QUERY.KeyDesc", URLACL_QUERY_KEY_DESC);
        n("HTTP_SERVICE_CONFIG_URLACL_QUERY.dwToken", URLACL_QUERY_TOKEN);
        n("HttpServiceConfigUrlAclInfo", HttpServiceConfigUrlAclInfo);
        n("HttpServiceConfigQueryExact", HttpServiceConfigQueryExact);
        n("HttpServiceConfigQueryNext", HttpServiceConfigQueryNext);
        n("ERROR_INSUFFICIENT_BUFFER", ERROR_INSUFFICIENT_BUFFER);
        n("HTTP_INITIALIZE_CONFIG", HTTP_INITIALIZE_CONFIG);
        n("HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT", HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT);
        n("HTTP_COOKED_URL.FullUrlLength", COOKED_FULL_URL_LENGTH);
        n("HTTP_COOKED_URL.HostLength", COOKED_HOST_LENGTH);
        n("HTTP_COOKED_URL.AbsPathLength", COOKED_ABS_PATH_LENGTH);
        n("HTTP_COOKED_URL.QueryStringLength", COOKED_QUERY_STRING_LENGTH);
        n("HTTP_COOKED_URL.pFullUrl", COOKED_P_FULL_URL);
        n("HTTP_COOKED_URL.pHost", COOKED_P_HOST);
        n("HTTP_REQUEST_HEADERS", HTTP_REQUEST_HEADERS_SIZE);
        n("HTTP_REQUEST_HEADERS.UnknownHeaderCount", HEADERS_UNKNOWN_COUNT);
        n("HTTP_REQUEST_HEADERS.pUnknownHeaders", HEADERS_P_UNKNOWN);
        n("HTTP_REQUEST_HEADERS.KnownHeaders", HEADERS_KNOWN);
        n("HTTP_RESPONSE_HEADERS", HTTP_RESPONSE_HEADERS_SIZE);
        n("HTTP_RESPONSE_HEADERS.UnknownHeaderCount", HEADERS_UNKNOWN_COUNT);
        n("HTTP_RESPONSE_HEADERS.pUnknownHeaders", HEADERS_P_UNKNOWN);
        n("HTTP_RESPONSE_HEADERS.KnownHeaders", HEADERS_KNOWN);
        n("HTTP_KNOWN_HEADER", HTTP_KNOWN_HEADER_SIZE);
        n("HTTP_KNOWN_HEADER.RawValueLength", KNOWN_RAW_VALUE_LENGTH);
        n("HTTP_KNOWN_HEADER.pRawValue", KNOWN_P_RAW_VALUE);
        n("HTTP_UNKNOWN_HEADER", HTTP_UNKNOWN_HEADER_SIZE);
        n("HTTP_UNKNOWN_HEADER.NameLength", UNKNOWN_NAME_LENGTH);
        n("HTTP_UNKNOWN_HEADER.RawValueLength", UNKNOWN_RAW_VALUE_LENGTH);
        n("HTTP_UNKNOWN_HEADER.pName", UNKNOWN_P_NAME);
        n("HTTP_UNKNOWN_HEADER.pRawValue", UNKNOWN_P_RAW_VALUE);
        n("HTTP_RESPONSE_V1", HTTP_RESPONSE_V1_SIZE);
        n("HTTP_RESPONSE_V2", HTTP_RESPONSE_V2_SIZE);
        n("HTTP_RESPONSE_V1.Flags", RESP_FLAGS);
        n("HTTP_RESPONSE_V1.Version", RESP_VERSION);
        n("HTTP_RESPONSE_V1.StatusCode", RESP_STATUS_CODE);
        n("HTTP_RESPONSE_V1.ReasonLength", RESP_REASON_LENGTH);
        n("HTTP_RESPONSE_V1.pReason", RESP_P_REASON);
        n("HTTP_RESPONSE_V1.Headers", RESP_HEADERS);
        n("HTTP_RESPONSE_V1.EntityChunkCount", RESP_ENTITY_CHUNK_COUNT);
        n("HTTP_RESPONSE_V1.pEntityChunks", RESP_P_ENTITY_CHUNKS);
        n("HTTP_DATA_CHUNK", HTTP_DATA_CHUNK_SIZE);
        n("HTTP_DATA_CHUNK.DataChunkType", CHUNK_TYPE);
        n("HTTP_DATA_CHUNK.FromMemory.pBuffer", CHUNK_P_BUFFER);
        n("HTTP_DATA_CHUNK.FromMemory.BufferLength", CHUNK_BUFFER_LENGTH);
        n("HTTP_CACHE_POLICY", HTTP_CACHE_POLICY_SIZE);
        n("HTTP_CACHE_POLICY.Policy", CACHE_POLICY_POLICY);
        n("HTTP_CACHE_POLICY.SecondsToLive", CACHE_POLICY_SECONDS_TO_LIVE);
        n("HttpCachePolicyNocache", HttpCachePolicyNocache);
        n("HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE", HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE);
        n("HTTP_BINDING_INFO", HTTP_BINDING_INFO_SIZE);
        n("HTTP_BINDING_INFO.RequestQueueHandle", BINDING_REQUEST_QUEUE_HANDLE);
        n("HTTP_TIMEOUT_LIMIT_INFO", HTTP_TIMEOUT_LIMIT_INFO_SIZE);
        n("HTTP_TIMEOUT_LIMIT_INFO.EntityBody", TIMEOUT_ENTITY_BODY);
        n("HTTP_TIMEOUT_LIMIT_INFO.DrainEntityBody", TIMEOUT_DRAIN_ENTITY_BODY);
        n("HTTP_TIMEOUT_LIMIT_INFO.RequestQueue", TIMEOUT_REQUEST_QUEUE);
        n("HTTP_TIMEOUT_LIMIT_INFO.IdleConnection", TIMEOUT_IDLE_CONNECTION);
        n("HTTP_TIMEOUT_LIMIT_INFO.HeaderWait", TIMEOUT_HEADER_WAIT);
        n("HTTP_TIMEOUT_LIMIT_INFO.MinSendRate", TIMEOUT_MIN_SEND_RATE);
        n("HTTP_QOS_SETTING_INFO", HTTP_QOS_SETTING_INFO_SIZE);
        n("HTTP_QOS_SETTING_INFO.QosSetting", QOS_SETTING);
        n("HTTP_CONNECTION_LIMIT_INFO", HTTP_CONNECTION_LIMIT_INFO_SIZE);
        n("HTTP_CONNECTION_LIMIT_INFO.MaxConnections", CONNECTION_LIMIT_MAX);
        n("OVERLAPPED", OVERLAPPED_SIZE);
        n("OVERLAPPED.Internal", OVERLAPPED_INTERNAL);
        n("OVERLAPPED.InternalHigh", OVERLAPPED_INTERNAL_HIGH);
        n("OVERLAPPED_ENTRY", OVERLAPPED_ENTRY_SIZE);
        n("OVERLAPPED_ENTRY.lpCompletionKey", OVERLAPPED_ENTRY_KEY);
        n("OVERLAPPED_ENTRY.lpOverlapped", OVERLAPPED_ENTRY_OVERLAPPED);
        n("OVERLAPPED_ENTRY.Internal", OVERLAPPED_ENTRY_INTERNAL);
        n("OVERLAPPED_ENTRY.dwNumberOfBytesTransferred", OVERLAPPED_ENTRY_BYTES);
        n("HttpHeaderRequestMaximum", HttpHeaderRequestMaximum);
        n("HttpHeaderResponseMaximum", HttpHeaderResponseMaximum);
        n("HttpHeaderContentLength", HttpHeaderContentLength);
        n("HttpHeaderTransferEncoding", HttpHeaderTransferEncoding);
        n("HttpHeaderHost", HttpHeaderHost);
        n("HttpHeaderConnection", HttpHeaderConnection);
        n("HttpHeaderServer", HttpHeaderServer);
        n("HttpHeaderDate", HttpHeaderDate);
        n("HttpVerbUnknown", HttpVerbUnknown);
        n("HttpVerbOPTIONS", HttpVerbOPTIONS);
        n("HttpVerbSEARCH", HttpVerbSEARCH);
        for (int i = HttpVerbOPTIONS; i < VERBS.length; i++)
            n("HttpVerb" + VERBS[i], i);
        n("HttpDataChunkFromMemory", HttpDataChunkFromMemory);
        n("HttpServerQosProperty", HttpServerQosProperty);
        n("HttpServerTimeoutsProperty", HttpServerTimeoutsProperty);
        n("HttpServerQueueLengthProperty", HttpServerQueueLengthProperty);
        n("HttpServer503VerbosityProperty", HttpServer503VerbosityProperty);
        n("HttpServerBindingProperty", HttpServerBindingProperty);
        n("HttpQosSettingTypeConnectionLimit", HttpQosSettingTypeConnectionLimit);
        n("HTTP_INITIALIZE_SERVER", HTTP_INITIALIZE_SERVER);
        n("HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS", HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS);
        n("HTTP_SEND_RESPONSE_FLAG_DISCONNECT", HTTP_SEND_RESPONSE_FLAG_DISCONNECT);
        n("HTTP_SEND_RESPONSE_FLAG_MORE_DATA", HTTP_SEND_RESPONSE_FLAG_MORE_DATA);
        n("HTTP_SEND_RESPONSE_FLAG_GOAWAY", HTTP_SEND_RESPONSE_FLAG_GOAWAY);
        n("HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA", HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA);
        n("HTTP_SEND_RESPONSE_FLAG_OPAQUE", HTTP_SEND_RESPONSE_FLAG_OPAQUE);
        n("HTTP_REQUEST_FLAG_HTTP2", HTTP_REQUEST_FLAG_HTTP2);
        n("HTTP_REQUEST_FLAG_HTTP3", HTTP_REQUEST_FLAG_HTTP3);
        n("HttpRequestPropertyStreamError", HttpRequestPropertyStreamError);
        n("HttpDataChunkTrailers", HttpDataChunkTrailers);
        n("HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING", HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING);
        n("HTTP_URL_FLAG_REMOVE_ALL", HTTP_URL_FLAG_REMOVE_ALL);
        n("ERROR_FILE_NOT_FOUND", ERROR_FILE_NOT_FOUND);
        n("ERROR_ACCESS_DENIED", ERROR_ACCESS_DENIED);
        n("ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE);
        n("ERROR_SHARING_VIOLATION", ERROR_SHARING_VIOLATION);
        n("ERROR_HANDLE_EOF", ERROR_HANDLE_EOF);
        n("ERROR_NOT_SUPPORTED", ERROR_NOT_SUPPORTED);
        n("ERROR_NETNAME_DELETED", ERROR_NETNAME_DELETED);
        n("ERROR_INVALID_PARAMETER", ERROR_INVALID_PARAMETER);
        n("ERROR_ALREADY_EXISTS", ERROR_ALREADY_EXISTS);
        n("ERROR_MORE_DATA", ERROR_MORE_DATA);
        n("WAIT_TIMEOUT", WAIT_TIMEOUT);
        n("ERROR_OPERATION_ABORTED", ERROR_OPERATION_ABORTED);
        n("ERROR_IO_PENDING", ERROR_IO_PENDING);
        n("ERROR_NOT_FOUND", ERROR_NOT_FOUND);
        n("ERROR_NOT_ENOUGH_MEMORY", ERROR_NOT_ENOUGH_MEMORY);
        n("ERROR_CONNECTION_INVALID", ERROR_CONNECTION_INVALID);
        n("ERROR_CONNECTION_ABORTED", ERROR_CONNECTION_ABORTED);
        n("AF_INET", AF_INET);
        n("AF_INET6", AF_INET6);
    }

    private Layout()
    {
    }

    private static void n(String name, long value)
    {
        NUMBERS.put(name, value);
    }

    /**
     * @return every size, offset and constant the connector relies on, by its name in the reference table
     */
    public static Map<String, Long> numbers()
    {
        return Collections.unmodifiableMap(NUMBERS);
    }

    /**
     * @param verb an HTTP_VERB value
     * @return its method name, or null for Unknown/Invalid/Unparsed
     */
    public static String verbName(int verb)
    {
        return verb >= HttpVerbOPTIONS && verb < VERBS.length ? VERBS[verb] : null;
    }

    /**
     * @param id a request HTTP_HEADER_ID
     * @return its canonical header name
     */
    public static String requestHeaderName(int id)
    {
        return REQUEST_HEADERS[id];
    }

    /**
     * @param name a response header name, any case
     * @return its response HTTP_HEADER_ID, or -1 when it is an unknown header
     */
    public static int responseHeaderId(String name)
    {
        // Without allocating: names of that length only, compared ignoring case (RFC 9110 §5.1).
        int len = name.length();
        if (len >= RESPONSE_HEADERS_BY_LENGTH.length)
            return -1;
        int[] ids = RESPONSE_HEADERS_BY_LENGTH[len];
        // Most names come in their canonical spelling (Jetty's HttpHeader strings): exact first, which is
        // cheap, then ignoring case.
        for (int id : ids)
        {
            if (RESPONSE_HEADERS[id].equals(name))
                return id;
        }
        for (int id : ids)
        {
            if (RESPONSE_HEADERS[id].equalsIgnoreCase(name))
                return id;
        }
        return -1;
    }

    /**
     * The NTSTATUS → Win32 mapping for the statuses the HTTP Server API leaves in OVERLAPPED.Internal,
     * so a completion does not need a native call to be understood.
     *
     * @param status the NTSTATUS
     * @return the Win32 error
     */
    public static int ntStatusToWin32(int status)
    {
        return switch (status)
        {
            case STATUS_SUCCESS -> NO_ERROR;
            case STATUS_BUFFER_OVERFLOW -> ERROR_MORE_DATA;
            case STATUS_END_OF_FILE -> ERROR_HANDLE_EOF;
            case STATUS_CANCELLED -> ERROR_OPERATION_ABORTED;
            case STATUS_CONNECTION_INVALID -> ERROR_CONNECTION_INVALID;
            case STATUS_NETWORK_NAME_DELETED -> ERROR_NETNAME_DELETED;
            case STATUS_CONNECTION_ABORTED -> ERROR_CONNECTION_ABORTED;
            case STATUS_INVALID_PARAMETER -> ERROR_INVALID_PARAMETER;
            default -> Kernel32.RtlNtStatusToDosError(status);
        };
    }

    /**
     * @param error a Win32 error code
     * @return a short text for logs and exception messages
     */
    public static String describeError(int error)
    {
        String name = switch (error)
        {
            case NO_ERROR -> "NO_ERROR";
            case ERROR_FILE_NOT_FOUND -> "ERROR_FILE_NOT_FOUND";
            case ERROR_ACCESS_DENIED -> "ERROR_ACCESS_DENIED (no URL ACL reservation: netsh http add urlacl)";
            case ERROR_INVALID_HANDLE -> "ERROR_INVALID_HANDLE";
            case ERROR_SHARING_VIOLATION -> "ERROR_SHARING_VIOLATION (the port is used by another program)";
            case ERROR_HANDLE_EOF -> "ERROR_HANDLE_EOF";
            case ERROR_NOT_SUPPORTED -> "ERROR_NOT_SUPPORTED";
            case ERROR_NETNAME_DELETED -> "ERROR_NETNAME_DELETED";
            case ERROR_NOT_ENOUGH_MEMORY -> "ERROR_NOT_ENOUGH_MEMORY";
            case ERROR_INVALID_PARAMETER -> "ERROR_INVALID_PARAMETER";
            case ERROR_ALREADY_EXISTS -> "ERROR_ALREADY_EXISTS (the URL prefix is registered already)";
            case ERROR_MORE_DATA -> "ERROR_MORE_DATA";
            case ERROR_OPERATION_ABORTED -> "ERROR_OPERATION_ABORTED";
            case ERROR_CONNECTION_INVALID -> "ERROR_CONNECTION_INVALID";
            case ERROR_CONNECTION_ABORTED -> "ERROR_CONNECTION_ABORTED";
            default -> "Win32 error";
        };
        return name + " (" + error + ")";
    }
}
