package io.github.jettyhttpsys.nativeapi;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * A flyweight over an HTTP_REQUEST_V2 that HTTP.sys wrote into a buffer: fields are read at their
 * x64 offsets on demand, nothing is copied until asked for. Pointers inside the structure are
 * absolute addresses; {@code base} is the buffer's address, so a pointer becomes an offset.
 * Not thread-safe; valid only while the buffer holds this request.
 */
public final class HttpRequestView
{
    private ByteBuffer buffer;
    private long base;
    private int length;
    private byte[] scratch = new byte[256]; // one string at a time is copied out through it

    /**
     * Points the view at a request.
     *
     * @param buffer the buffer's bytes (any position; absolute reads only; kept as given when little-endian)
     * @param base the native address of the buffer's first byte
     * @param length the bytes HTTP.sys used
     * @return this
     */
    public HttpRequestView wrap(ByteBuffer buffer, long base, int length)
    {
        this.buffer = buffer.order() == ByteOrder.LITTLE_ENDIAN ? buffer : buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.base = base;
        this.length = length;
        return this;
    }

    public int flags()
    {
        return buffer.getInt(Layout.REQ_FLAGS);
    }

    public long connectionId()
    {
        return buffer.getLong(Layout.REQ_CONNECTION_ID);
    }

    public long requestId()
    {
        return buffer.getLong(Layout.REQ_REQUEST_ID);
    }

    public long urlContext()
    {
        return buffer.getLong(Layout.REQ_URL_CONTEXT);
    }

    public int majorVersion()
    {
        return Short.toUnsignedInt(buffer.getShort(Layout.REQ_VERSION));
    }

    public int minorVersion()
    {
        return Short.toUnsignedInt(buffer.getShort(Layout.REQ_VERSION + 2));
    }

    public int verb()
    {
        return buffer.getInt(Layout.REQ_VERB);
    }

    /**
     * @return the method: the HTTP_VERB's name, or the unknown verb's text
     */
    public String method()
    {
        String name = Layout.verbName(verb());
        if (name != null)
            return name;
        return string(buffer.getLong(Layout.REQ_P_UNKNOWN_VERB), Short.toUnsignedInt(buffer.getShort(Layout.REQ_UNKNOWN_VERB_LENGTH)), StandardCharsets.US_ASCII);
    }

    /**
     * @return the request target exactly as the client sent it (F-33, F-37)
     */
    public String rawUrl()
    {
        return string(buffer.getLong(Layout.REQ_P_RAW_URL), Short.toUnsignedInt(buffer.getShort(Layout.REQ_RAW_URL_LENGTH)), StandardCharsets.UTF_8);
    }

    /**
     * @return the cooked URL's host piece, with its port (F-35)
     */
    public String cookedHost()
    {
        int len = Short.toUnsignedInt(buffer.getShort(Layout.REQ_COOKED_URL + Layout.COOKED_HOST_LENGTH));
        return string(buffer.getLong(Layout.REQ_COOKED_URL + Layout.COOKED_P_HOST), len, StandardCharsets.UTF_16LE);
    }

    /**
     * @return the whole cooked URL (UTF-16LE, decoded)
     */
    public String cookedUrl()
    {
        int len = Short.toUnsignedInt(buffer.getShort(Layout.REQ_COOKED_URL + Layout.COOKED_FULL_URL_LENGTH));
        return string(buffer.getLong(Layout.REQ_COOKED_URL + Layout.COOKED_P_FULL_URL), len, StandardCharsets.UTF_16LE);
    }

    /**
     * @return whether the request came over TLS (pSslInfo is set)
     */
    public boolean isSecure()
    {
        return buffer.getLong(Layout.REQ_P_SSL_INFO) != 0;
    }

    /**
     * @return HTTP_SSL_INFO.ConnectionKeySize (the session cipher's key; bits as HTTP.sys reports them, F-121), or -1 on plain HTTP
     */
    public int sslConnectionKeySize()
    {
        long p = buffer.getLong(Layout.REQ_P_SSL_INFO);
        return p == 0 ? -1 : Short.toUnsignedInt(buffer.getShort(offset(p, Layout.HTTP_SSL_INFO_SIZE) + Layout.SSL_CONNECTION_KEY_SIZE));
    }

    /**
     * @return the DER client certificate negotiated at the handshake (F-122, F-127), or null when there
     * is none or its chain did not verify (CertFlags not 0: as a JSSE server, Jetty never sees an
     * untrusted peer certificate)
     */
    public byte[] sslClientCertificate()
    {
        long p = buffer.getLong(Layout.REQ_P_SSL_INFO);
        if (p == 0)
            return null;
        long info = buffer.getLong(offset(p, Layout.HTTP_SSL_INFO_SIZE) + Layout.SSL_P_CLIENT_CERT_INFO);
        if (info == 0)
            return null;
        int at = offset(info, Layout.HTTP_SSL_CLIENT_CERT_INFO_SIZE);
        if (buffer.getInt(at + Layout.CLIENT_CERT_FLAGS) != 0)
            return null; // the chain did not verify (CERT_E_*, F-127): not a peer certificate for Jetty
        int size = buffer.getInt(at + Layout.CLIENT_CERT_ENCODED_SIZE);
        long der = buffer.getLong(at + Layout.CLIENT_CERT_P_ENCODED);
        if (der == 0 || size <= 0)
            return null;
        byte[] b = new byte[size];
        buffer.get(offset(der, size), b);
        return b;
    }

    /**
     * @return the HttpRequestInfoTypeSslProtocol entry as its seven ULONGs (Protocol, CipherType,
     * CipherStrength, HashType, HashStrength, KeyExchangeType, KeyExchangeStrength; F-128…F-130), or null
     */
    public int[] sslProtocolInfo()
    {
        int o = requestInfo(Layout.HttpRequestInfoTypeSslProtocol, Layout.HTTP_SSL_PROTOCOL_INFO_SIZE);
        if (o < 0)
            return null;
        int[] v = new int[7];
        for (int k = 0; k < 7; k++)
            v[k] = buffer.getInt(o + 4 * k);
        return v;
    }

    /** The buffer offset of the first pRequestInfo entry of a type (ASP.NET scans them all, F-138), or -1. */
    private int requestInfo(int type, int minLength)
    {
        int count = Short.toUnsignedInt(buffer.getShort(Layout.REQ_REQUEST_INFO_COUNT));
        long p = buffer.getLong(Layout.REQ_P_REQUEST_INFO);
        if (count == 0 || p == 0)
            return -1;
        int at = offset(p, count * Layout.HTTP_REQUEST_INFO_SIZE);
        for (int i = 0; i < count; i++)
        {
            int e = at + i * Layout.HTTP_REQUEST_INFO_SIZE;
            if (buffer.getInt(e + Layout.REQUEST_INFO_TYPE) != type)
                continue;
            long info = buffer.getLong(e + Layout.REQUEST_INFO_P_INFO);
            if (info == 0 || buffer.getInt(e + Layout.REQUEST_INFO_LENGTH) < minLength)
                return -1;
            return offset(info, minLength);
        }
        return -1;
    }

    /**
     * The HttpRequestInfoTypeAuth entry (F-133, F-138): present whenever authentication is configured.
     *
     * @return {AuthStatus, SecStatus, Flags, AuthType}, or null when the request has none
     */
    public int[] authInfo()
    {
        int o = requestInfo(Layout.HttpRequestInfoTypeAuth, Layout.HTTP_REQUEST_AUTH_INFO_SIZE);
        if (o < 0)
            return null;
        return new int[]{buffer.getInt(o + Layout.AUTH_INFO_STATUS), buffer.getInt(o + Layout.AUTH_INFO_SEC_STATUS),
            buffer.getInt(o + Layout.AUTH_INFO_FLAGS), buffer.getInt(o + Layout.AUTH_INFO_TYPE)};
    }

    /**
     * @return the access token of an authenticated request (the application owns it and must close it,
     * F-139), or 0
     */
    public long authAccessToken()
    {
        int o = requestInfo(Layout.HttpRequestInfoTypeAuth, Layout.HTTP_REQUEST_AUTH_INFO_SIZE);
        return o < 0 || buffer.getInt(o + Layout.AUTH_INFO_STATUS) != Layout.HttpAuthStatusSuccess ? 0 : buffer.getLong(o + Layout.AUTH_INFO_ACCESS_TOKEN);
    }

    /** @return the security package of an authenticated request ("Kerberos", "NTLM"), or null */
    public String authPackageName()
    {
        int o = requestInfo(Layout.HttpRequestInfoTypeAuth, Layout.HTTP_REQUEST_AUTH_INFO_SIZE);
        if (o < 0)
            return null;
        int len = Short.toUnsignedInt(buffer.getShort(o + Layout.AUTH_INFO_PACKAGE_NAME_LENGTH));
        return len == 0 ? null : string(buffer.getLong(o + Layout.AUTH_INFO_P_PACKAGE_NAME), len, StandardCharsets.UTF_16LE);
    }

    /** @return the mutual-authentication value HTTP.sys hands over with ReceiveMutualAuth (F-141), or null */
    public String authMutualData()
    {
        int o = requestInfo(Layout.HttpRequestInfoTypeAuth, Layout.HTTP_REQUEST_AUTH_INFO_SIZE);
        if (o < 0)
            return null;
        int len = buffer.getInt(o + Layout.AUTH_INFO_MUTUAL_LENGTH);
        return len <= 0 ? null : string(buffer.getLong(o + Layout.AUTH_INFO_P_MUTUAL), len, StandardCharsets.US_ASCII);
    }

    /**
     * @param id a request HTTP_HEADER_ID
     * @return the header's value, or null when absent
     */
    public String knownHeader(int id)
    {
        int at = Layout.REQ_HEADERS + Layout.HEADERS_KNOWN + id * Layout.HTTP_KNOWN_HEADER_SIZE;
        long p = buffer.getLong(at + Layout.KNOWN_P_RAW_VALUE);
        if (p == 0)
            return null;
        return string(p, Short.toUnsignedInt(buffer.getShort(at + Layout.KNOWN_RAW_VALUE_LENGTH)), StandardCharsets.ISO_8859_1);
    }

    /**
     * @return whether the known header is present with exactly this value (its raw bytes read as
     * ISO-8859-1), compared in place: nothing is allocated
     */
    public boolean knownHeaderIs(int id, String value)
    {
        int at = Layout.REQ_HEADERS + Layout.HEADERS_KNOWN + id * Layout.HTTP_KNOWN_HEADER_SIZE;
        long p = buffer.getLong(at + Layout.KNOWN_P_RAW_VALUE);
        int len = Short.toUnsignedInt(buffer.getShort(at + Layout.KNOWN_RAW_VALUE_LENGTH));
        if (p == 0 || len != value.length())
            return false;
        int off = offset(p, len);
        for (int i = 0; i < len; i++)
            if ((buffer.get(off + i) & 0xFF) != value.charAt(i))
                return false;
        return true;
    }

    public int unknownHeaderCount()
    {
        return Short.toUnsignedInt(buffer.getShort(Layout.REQ_HEADERS + Layout.HEADERS_UNKNOWN_COUNT));
    }

    public String unknownHeaderName(int i)
    {
        int at = unknownAt(i);
        return string(buffer.getLong(at + Layout.UNKNOWN_P_NAME), Short.toUnsignedInt(buffer.getShort(at + Layout.UNKNOWN_NAME_LENGTH)), StandardCharsets.ISO_8859_1);
    }

    public String unknownHeaderValue(int i)
    {
        int at = unknownAt(i);
        return string(buffer.getLong(at + Layout.UNKNOWN_P_RAW_VALUE), Short.toUnsignedInt(buffer.getShort(at + Layout.UNKNOWN_RAW_VALUE_LENGTH)), StandardCharsets.ISO_8859_1);
    }

    private int unknownAt(int i)
    {
        long p = buffer.getLong(Layout.REQ_HEADERS + Layout.HEADERS_P_UNKNOWN);
        return offset(p, (i + 1) * Layout.HTTP_UNKNOWN_HEADER_SIZE) + i * Layout.HTTP_UNKNOWN_HEADER_SIZE;
    }

    public long bytesReceived()
    {
        return buffer.getLong(Layout.REQ_BYTES_RECEIVED);
    }

    public InetSocketAddress remoteAddress()
    {
        return address(buffer.getLong(Layout.REQ_ADDRESS), _remote);
    }

    public InetSocketAddress localAddress()
    {
        return address(buffer.getLong(Layout.REQ_ADDRESS + 8), _local);
    }

    /**
     * The address this view made last for one of the two, kept with its raw bytes: an address is immutable, so
     * the next request from the same one (every request for the local address; every HTTP/2 stream of one
     * client connection, which HTTP.sys reports as a connection of its own, F-77) gets the same object.
     */
    private static final class Last
    {
        long family;   // family and port
        long high;     // the address bytes
        long low;
        InetSocketAddress address;
    }

    private final Last _remote = new Last();
    private final Last _local = new Last();

    private InetSocketAddress address(long pointer, Last last)
    {
        if (pointer == 0)
            return null;
        int at = offset(pointer, 16);
        int family = Short.toUnsignedInt(buffer.getShort(at));
        int port = Short.toUnsignedInt(Short.reverseBytes(buffer.getShort(at + 2)));
        long key = ((long)family << 16) | port;
        long high;
        long low;
        if (family == Layout.AF_INET)
        {
            high = Integer.toUnsignedLong(buffer.getInt(at + 4));
            low = 0;
        }
        else if (family == Layout.AF_INET6)
        {
            offset(pointer, 28);
            high = buffer.getLong(at + 8);
            low = buffer.getLong(at + 16);
        }
        else
        {
            return null;
        }
        if (last.address != null && last.family == key && last.high == high && last.low == low)
            return last.address;
        byte[] addr = new byte[family == Layout.AF_INET ? 4 : 16];
        buffer.get(family == Layout.AF_INET ? at + 4 : at + 8, addr);
        InetSocketAddress address;
        try
        {
            address = new InetSocketAddress(InetAddress.getByAddress(addr), port);
        }
        catch (UnknownHostException x)
        {
            return null;
        }
        last.family = key;
        last.high = high;
        last.low = low;
        last.address = address;
        return address;
    }

    private String string(long pointer, int len, Charset charset)
    {
        if (pointer == 0 || len == 0)
            return pointer == 0 ? null : "";
        if (scratch.length < len)
            scratch = new byte[Math.max(len, 2 * scratch.length)];
        buffer.get(offset(pointer, len), scratch, 0, len);
        return new String(scratch, 0, len, charset);
    }

    /** Converts a pointer inside the buffer into an offset, refusing anything outside it. */
    private int offset(long pointer, int len)
    {
        long off = pointer - base;
        if (off < 0 || off + len > length)
            throw new IllegalStateException("Pointer outside the request buffer: 0x" + Long.toHexString(pointer));
        return (int)off;
    }
}
