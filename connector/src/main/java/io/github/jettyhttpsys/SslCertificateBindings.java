package io.github.jettyhttpsys;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.UUID;

import com.sun.jna.Memory;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * HTTP.sys certificate bindings from Java: what {@code netsh http add sslcert ipport=...} and
 * {@code netsh http delete sslcert ...} do, through {@code HttpSetServiceConfiguration} with
 * {@code HttpServiceConfigSSLCertInfo} (F-112…F-118). The certificate is named by its SHA-1
 * thumbprint in a certificate store of the local machine ({@code MY} is LocalMachine\My). Writing
 * bindings needs an administrator (F-193); without one the error names the netsh command to run.
 */
public final class SslCertificateBindings
{
    private SslCertificateBindings()
    {
    }

    /**
     * Binds a certificate to an address and port.
     *
     * @param ipPort the address and port ({@code 0.0.0.0} for every address)
     * @param thumbprint the certificate's SHA-1 thumbprint (20 bytes)
     * @param store the certificate store name, {@code MY} when null
     * @param appId the owning application's id (any GUID; netsh's {@code appid})
     * @param negotiateClientCertificate ask the client for a certificate at the handshake
     * @throws IllegalStateException when HTTP.sys refuses, with the netsh command for an administrator
     */
    public static void add(InetSocketAddress ipPort, byte[] thumbprint, String store, UUID appId, boolean negotiateClientCertificate)
    {
        if (thumbprint == null || thumbprint.length != 20)
            throw new IllegalArgumentException("a certificate thumbprint is 20 bytes (SHA-1)");
        try (Memory address = sockaddr(ipPort); Memory hash = new Memory(20); Memory storeName = utf16(store == null ? "MY" : store);
             Memory set = new Memory(Layout.HTTP_SERVICE_CONFIG_SSL_SET_SIZE))
        {
            hash.write(0, thumbprint, 0, 20);
            set.clear();
            set.setPointer(0, address);
            int param = Layout.SSL_SET_PARAM_DESC;
            set.setInt(param + Layout.SSL_PARAM_HASH_LENGTH, 20);
            set.setPointer(param + Layout.SSL_PARAM_P_HASH, hash);
            set.write(param + Layout.SSL_PARAM_APP_ID, guid(appId == null ? new UUID(0, 0) : appId), 0, 16);
            set.setPointer(param + Layout.SSL_PARAM_P_STORE_NAME, storeName);
            set.setInt(param + Layout.SSL_PARAM_DEFAULT_FLAGS, negotiateClientCertificate ? Layout.HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT : 0);
            int rc = configure(() -> HttpApi.HttpSetServiceConfiguration(null, Layout.HttpServiceConfigSSLCertInfo, set, Layout.HTTP_SERVICE_CONFIG_SSL_SET_SIZE, null));
            if (rc != Layout.NO_ERROR)
                throw refused("binding a certificate to " + text(ipPort), rc, "netsh http add sslcert ipport=" + text(ipPort) +
                    " certhash=" + HexFormat.of().formatHex(thumbprint) + " appid={" + (appId == null ? new UUID(0, 0) : appId) + "}" +
                    (store == null ? "" : " certstorename=" + store) + (negotiateClientCertificate ? " clientcertnegotiation=enable" : ""));
        }
    }

    /**
     * Removes the binding of an address and port.
     *
     * @param ipPort the address and port
     * @return false when there was none
     * @throws IllegalStateException when HTTP.sys refuses, with the netsh command for an administrator
     */
    public static boolean delete(InetSocketAddress ipPort)
    {
        try (Memory address = sockaddr(ipPort); Memory set = new Memory(Layout.HTTP_SERVICE_CONFIG_SSL_SET_SIZE))
        {
            set.clear();
            set.setPointer(0, address);
            int rc = configure(() -> HttpApi.HttpDeleteServiceConfiguration(null, Layout.HttpServiceConfigSSLCertInfo, set, Layout.HTTP_SERVICE_CONFIG_SSL_SET_SIZE, null));
            if (rc == Layout.ERROR_FILE_NOT_FOUND)
                return false;
            if (rc != Layout.NO_ERROR)
                throw refused("deleting the certificate binding of " + text(ipPort), rc, "netsh http delete sslcert ipport=" + text(ipPort));
            return true;
        }
    }

    /**
     * The one-line command, for an operator without netsh scripts:
     * <pre>
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.SslCertificateBindings add 0.0.0.0:443 THUMBPRINT [APPID] [negotiate]
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.SslCertificateBindings delete 0.0.0.0:443
     * </pre>
     *
     * @param args {@code add IP:PORT THUMBPRINT [APPID] [negotiate]} or {@code delete IP:PORT}
     */
    public static void main(String... args)
    {
        if (args.length >= 3 && args[0].equals("add"))
        {
            UUID appId = args.length > 3 ? UUID.fromString(args[3].replace("{", "").replace("}", "")) : new UUID(0, 0);
            boolean negotiate = args.length > 4 && args[4].equalsIgnoreCase("negotiate");
            add(ipPort(args[1]), HexFormat.of().parseHex(args[2].replace(" ", "")), "MY", appId, negotiate);
            System.out.println("bound " + args[1] + " to certificate " + args[2]);
        }
        else if (args.length == 2 && args[0].equals("delete"))
        {
            System.out.println(delete(ipPort(args[1])) ? "deleted the binding of " + args[1] : "no binding for " + args[1]);
        }
        else
        {
            throw new IllegalArgumentException("usage: add IP:PORT THUMBPRINT [APPID] [negotiate] | delete IP:PORT");
        }
    }

    private static InetSocketAddress ipPort(String text)
    {
        int colon = text.lastIndexOf(':');
        if (colon < 0)
            throw new IllegalArgumentException("IP:PORT, such as 0.0.0.0:443: " + text);
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(host, Integer.parseInt(text.substring(colon + 1)));
    }

    private interface Call
    {
        int invoke();
    }

    /** A configuration call between HttpInitialize and HttpTerminate with HTTP_INITIALIZE_CONFIG. */
    private static int configure(Call call)
    {
        int rc = HttpApi.HttpInitialize(HttpApi.HTTPAPI_VERSION_2, Layout.HTTP_INITIALIZE_CONFIG, null);
        if (rc != Layout.NO_ERROR)
            return rc;
        try
        {
            return call.invoke();
        }
        finally
        {
            HttpApi.HttpTerminate(Layout.HTTP_INITIALIZE_CONFIG, null);
        }
    }

    private static IllegalStateException refused(String what, int rc, String netsh)
    {
        if (rc == Layout.ERROR_ACCESS_DENIED)
            return new IllegalStateException("HTTP.sys refused " + what + ": " + Layout.describeError(rc) +
                "; run as an administrator, or have one run: " + netsh);
        if (rc == Layout.ERROR_ALREADY_EXISTS)
            return new IllegalStateException("HTTP.sys refused " + what + ": a binding exists already (netsh http show sslcert)");
        return new IllegalStateException("HTTP.sys refused " + what + ": " + Layout.describeError(rc) + " (the same as: " + netsh + ")");
    }

    private static String text(InetSocketAddress a)
    {
        String host = a.getAddress() instanceof Inet6Address ? "[" + a.getAddress().getHostAddress() + "]" : a.getAddress().getHostAddress();
        return host + ":" + a.getPort();
    }

    /** A Windows SOCKADDR_IN / SOCKADDR_IN6 (AF_INET6 is 23 on Windows). */
    private static Memory sockaddr(InetSocketAddress a)
    {
        if (a == null || a.getAddress() == null || a.isUnresolved())
            throw new IllegalArgumentException("an address and port to bind, such as 0.0.0.0:443");
        byte[] ip = a.getAddress().getAddress();
        boolean v4 = a.getAddress() instanceof Inet4Address;
        Memory m = new Memory(v4 ? 16 : 28);
        m.clear();
        m.setShort(0, (short)(v4 ? Layout.AF_INET : Layout.AF_INET6));
        m.setShort(2, Short.reverseBytes((short)a.getPort()));
        m.write(v4 ? 4 : 8, ip, 0, ip.length);
        return m;
    }

    /** A NUL-terminated UTF-16LE string (no logging classes are loaded: the command runs with JNA alone). */
    private static Memory utf16(String s)
    {
        byte[] b = (s + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        Memory m = new Memory(b.length);
        m.write(0, b, 0, b.length);
        return m;
    }

    private static byte[] guid(UUID id)
    {
        ByteBuffer b = ByteBuffer.allocate(16);
        long hi = id.getMostSignificantBits();
        b.order(ByteOrder.LITTLE_ENDIAN).putInt((int)(hi >>> 32)).putShort((short)(hi >>> 16)).putShort((short)hi);
        b.order(ByteOrder.BIG_ENDIAN).putLong(id.getLeastSignificantBits());
        return b.array();
    }
}
