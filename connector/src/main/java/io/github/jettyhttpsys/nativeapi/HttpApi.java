package io.github.jettyhttpsys.nativeapi;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Direct-mapped bindings of the HTTP Server API version 2 (httpapi.dll), with the SDK's names.
 * Types are fixed-width on every platform: {@code int} for ULONG, {@code short} for USHORT,
 * {@code long} for HTTP_OPAQUE_ID and ULONGLONG, {@link Pointer} for pointers and HANDLE.
 * {@code HTTPAPI_VERSION} (two USHORTs, passed by value) is passed as an {@code int}:
 * major in the low 16 bits, minor in the high 16 bits.
 *
 * @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/">http.h</a>
 */
public final class HttpApi
{
    /** HTTPAPI_VERSION_2 packed into an int. */
    public static final int HTTPAPI_VERSION_2 = 2;

    private static final boolean HAS_WAIT_FOR_DISCONNECT_EX;
    private static final boolean HAS_SET_REQUEST_PROPERTY;
    private static final boolean HAS_IS_FEATURE_SUPPORTED;

    static
    {
        NativeLibrary lib = NativeLibraries.httpapi();
        Native.register(HttpApi.class, lib);
        boolean ex;
        try
        {
            lib.getFunction("HttpWaitForDisconnectEx");
            Native.register(Ex.class, lib);
            ex = true;
        }
        catch (UnsatisfiedLinkError x)
        {
            ex = false;
        }
        HAS_WAIT_FOR_DISCONNECT_EX = ex;
        HAS_SET_REQUEST_PROPERTY = optional(lib, "HttpSetRequestProperty", SetRequestProperty.class);
        HAS_IS_FEATURE_SUPPORTED = optional(lib, "HttpIsFeatureSupported", IsFeatureSupported.class);
    }

    /** Registers an export newer Windows versions have, when this httpapi has it (F-158, F-160). */
    private static boolean optional(NativeLibrary lib, String name, Class<?> holder)
    {
        try
        {
            lib.getFunction(name);
            Native.register(holder, lib);
            return true;
        }
        catch (UnsatisfiedLinkError x)
        {
            return false;
        }
    }

    private HttpApi()
    {
    }

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpinitialize">HttpInitialize</a> */
    public static native int HttpInitialize(int version, int flags, Pointer reserved);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpterminate">HttpTerminate</a> */
    public static native int HttpTerminate(int flags, Pointer reserved);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcreateserversession">HttpCreateServerSession</a> */
    public static native int HttpCreateServerSession(int version, Pointer pServerSessionId, int reserved);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcloseserversession">HttpCloseServerSession</a> */
    public static native int HttpCloseServerSession(long serverSessionId);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpsetserversessionproperty">HttpSetServerSessionProperty</a> */
    public static native int HttpSetServerSessionProperty(long serverSessionId, int property, Pointer info, int length);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcreateurlgroup">HttpCreateUrlGroup</a> */
    public static native int HttpCreateUrlGroup(long serverSessionId, Pointer pUrlGroupId, int reserved);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcloseurlgroup">HttpCloseUrlGroup</a> */
    public static native int HttpCloseUrlGroup(long urlGroupId);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpaddurltourlgroup">HttpAddUrlToUrlGroup</a> */
    public static native int HttpAddUrlToUrlGroup(long urlGroupId, Pointer fullyQualifiedUrl, long urlContext, int reserved);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpremoveurlfromurlgroup">HttpRemoveUrlFromUrlGroup</a> */
    public static native int HttpRemoveUrlFromUrlGroup(long urlGroupId, Pointer fullyQualifiedUrl, int flags);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpseturlgroupproperty">HttpSetUrlGroupProperty</a> */
    public static native int HttpSetUrlGroupProperty(long urlGroupId, int property, Pointer info, int length);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcreaterequestqueue">HttpCreateRequestQueue</a> */
    public static native int HttpCreateRequestQueue(int version, Pointer name, Pointer securityAttributes, int flags, Pointer pHandle);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcloserequestqueue">HttpCloseRequestQueue</a> */
    public static native int HttpCloseRequestQueue(Pointer requestQueue);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpshutdownrequestqueue">HttpShutdownRequestQueue</a> */
    public static native int HttpShutdownRequestQueue(Pointer requestQueue);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpsetrequestqueueproperty">HttpSetRequestQueueProperty</a> */
    public static native int HttpSetRequestQueueProperty(Pointer requestQueue, int property, Pointer info, int length, int reserved1, Pointer reserved2);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpreceivehttprequest">HttpReceiveHttpRequest</a> */
    public static native int HttpReceiveHttpRequest(Pointer requestQueue, long requestId, int flags, Pointer buffer, int bufferLength, Pointer pBytesReturned, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpreceiverequestentitybody">HttpReceiveRequestEntityBody</a> */
    public static native int HttpReceiveRequestEntityBody(Pointer requestQueue, long requestId, int flags, Pointer buffer, int bufferLength, Pointer pBytesReturned, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpsetserviceconfiguration">HttpSetServiceConfiguration</a> */
    public static native int HttpSetServiceConfiguration(Pointer serviceHandle, int configId, Pointer configInformation, int configInformationLength, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpqueryserviceconfiguration">HttpQueryServiceConfiguration</a> */
    public static native int HttpQueryServiceConfiguration(Pointer serviceHandle, int configId, Pointer input, int inputLength, Pointer output,
                                                           int outputLength, int[] returnLength, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpdeleteserviceconfiguration">HttpDeleteServiceConfiguration</a> */
    public static native int HttpDeleteServiceConfiguration(Pointer serviceHandle, int configId, Pointer configInformation, int configInformationLength, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpreceiveclientcertificate">HttpReceiveClientCertificate</a> */
    public static native int HttpReceiveClientCertificate(Pointer requestQueue, long connectionId, int flags, Pointer sslClientCertInfo, int sslClientCertInfoSize, Pointer pBytesReceived, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpflushresponsecache">HttpFlushResponseCache</a> */
    public static native int HttpFlushResponseCache(Pointer requestQueue, Pointer urlPrefix, int flags, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpsendhttpresponse">HttpSendHttpResponse</a> */
    public static native int HttpSendHttpResponse(Pointer requestQueue, long requestId, int flags, Pointer response, Pointer cachePolicy, Pointer pBytesSent, Pointer reserved1, int reserved2, Pointer overlapped, Pointer logData);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpsendresponseentitybody">HttpSendResponseEntityBody</a> */
    public static native int HttpSendResponseEntityBody(Pointer requestQueue, long requestId, int flags, short entityChunkCount, Pointer entityChunks, Pointer pBytesSent, Pointer reserved1, int reserved2, Pointer overlapped, Pointer logData);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpwaitfordisconnect">HttpWaitForDisconnect</a> */
    public static native int HttpWaitForDisconnect(Pointer requestQueue, long connectionId, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpcancelhttprequest">HttpCancelHttpRequest</a> */
    public static native int HttpCancelHttpRequest(Pointer requestQueue, long requestId, Pointer overlapped);

    /**
     * @return whether {@code HttpWaitForDisconnectEx} exists in this httpapi
     */
    public static boolean hasWaitForDisconnectEx()
    {
        return HAS_WAIT_FOR_DISCONNECT_EX;
    }

    /**
     * HttpWaitForDisconnectEx, or HttpWaitForDisconnect where the Ex variant is missing.
     *
     * @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpwaitfordisconnectex">HttpWaitForDisconnectEx</a>
     */
    public static int HttpWaitForDisconnectEx(Pointer requestQueue, long connectionId, int reserved, Pointer overlapped)
    {
        if (HAS_WAIT_FOR_DISCONNECT_EX)
            return Ex.HttpWaitForDisconnectEx(requestQueue, connectionId, reserved, overlapped);
        return HttpWaitForDisconnect(requestQueue, connectionId, overlapped);
    }

    private static final class Ex
    {
        static native int HttpWaitForDisconnectEx(Pointer requestQueue, long connectionId, int reserved, Pointer overlapped);
    }

    /**
     * HttpSetRequestProperty, where this httpapi has it (Windows 10 1709 and later; ASP.NET's support test, F-158).
     *
     * @return the Win32 error, {@code ERROR_NOT_SUPPORTED} when the export is missing
     * @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/http/nf-http-httpsetrequestproperty">HttpSetRequestProperty</a>
     */
    public static int HttpSetRequestProperty(Pointer requestQueue, long requestId, int property, Pointer input, int inputSize, Pointer overlapped)
    {
        if (!HAS_SET_REQUEST_PROPERTY)
            return Layout.ERROR_NOT_SUPPORTED;
        return SetRequestProperty.HttpSetRequestProperty(requestQueue, requestId, property, input, inputSize, overlapped);
    }

    /**
     * HttpIsFeatureSupported (F-160): false where the export is missing.
     *
     * @param feature an HTTP_FEATURE_ID
     * @return whether HTTP.sys reports the feature
     */
    public static boolean isFeatureSupported(int feature)
    {
        return HAS_IS_FEATURE_SUPPORTED && IsFeatureSupported.HttpIsFeatureSupported(feature) != 0;
    }

    private static final class SetRequestProperty
    {
        static native int HttpSetRequestProperty(Pointer requestQueue, long requestId, int property, Pointer input, int inputSize, Pointer overlapped);
    }

    private static final class IsFeatureSupported
    {
        static native int HttpIsFeatureSupported(int feature);
    }
}
