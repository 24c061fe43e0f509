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
 * {@code HttpServiceConfigSSLCertInfo} (address and port) and {@code HttpServiceConfigSslSniCertInfo}
 * (host name and port, F-114) (F-112…F-118). The certificate is named by its SHA-1
 * thumbprint in a certificate store of the local machine ({@code MY} is LocalMachine\My). Writing
 * bindings needs an administrator (F-193); without one the error names the netsh command to run.
 */
public final class SslCertificateBindings
{
    private SslCertificateBindings()
    {
    }

    /**
     * Binds a certificate to an address and port ({@code netsh http add sslcert ipport=...}).
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
        try (Memory address = sockaddr(ipPort))
        {
            add(Layout.HttpServiceConfigSSLCertInfo, Layout.HTTP_SERVICE_CONFIG_SSL_SET_SIZE, Layout.SSL_SET_PARAM_DESC,
                set -> set.setPointer(0, address), "ipport=" + text(ipPort), thumbprint, store, appId, negotiateClientCertificate);
        }
    }

    /**
     * Binds a certificate to a host name and port, chosen by the name the client sends in its TLS
     * handshake (SNI; {@code netsh http add sslcert hostnameport=...}, Windows 8 / Server 2012 and later).
     * A client that sends that name gets this certificate before any address binding of the port (F-118).
     *
     * @param hostname the host name, as clients send it in SNI
     * @param port the port
     * @param thumbprint the certificate's SHA-1 thumbprint (20 bytes)
     * @param store the certificate store name, {@code MY} when null
     * @param appId the owning application's id
     * @param negotiateClientCertificate ask the client for a certificate at the handshake
     * @throws IllegalStateException when HTTP.sys refuses, with the netsh command for an administrator
     */
    public static void add(String hostname, int port, byte[] thumbprint, String store, UUID appId, boolean negotiateClientCertificate)
    {
        try (Memory address = sniAddress(port); Memory host = utf16(checkHostname(hostname)))
        {
            add(Layout.HttpServiceConfigSslSniCertInfo, Layout.HTTP_SERVICE_CONFIG_SSL_SNI_SET_SIZE, Layout.SSL_SNI_SET_PARAM_DESC,
                set -> sniKey(set, address, host), "hostnameport=" + hostname + ":" + port, thumbprint, store, appId, negotiateClientCertificate);
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
        try (Memory address = sockaddr(ipPort))
        {
            return delete(Layout.HttpServiceConfigSSLCertInfo, Layout.HTTP_SERVICE_CONFIG_SSL_SET_SIZE, set -> set.setPointer(0, address),
                "ipport=" + text(ipPort));
        }
    }

    /**
     * Removes the binding of a host name and port.
     *
     * @param hostname the host name
     * @param port the port
     * @return false when there was none
     * @throws IllegalStateException when HTTP.sys refuses, with the netsh command for an administrator
     */
    public static boolean delete(String hostname, int port)
    {
        try (Memory address = sniAddress(port); Memory host = utf16(checkHostname(hostname)))
        {
            return delete(Layout.HttpServiceConfigSslSniCertInfo, Layout.HTTP_SERVICE_CONFIG_SSL_SNI_SET_SIZE,
                set -> sniKey(set, address, host), "hostnameport=" + hostname + ":" + port);
        }
    }

    private interface Key
    {
        void write(Memory set);
    }

    private static void add(int configId, int size, int param, Key key, String netshKey, byte[] thumbprint, String store, UUID appId,
                            boolean negotiateClientCertificate)
    {
        if (thumbprint == null || thumbprint.length != 20)
            throw new IllegalArgumentException("a certificate thumbprint is 20 bytes (SHA-1)");
        UUID app = appId == null ? new UUID(0, 0) : appId;
        try (Memory hash = new Memory(20); Memory storeName = utf16(store == null ? "MY" : store); Memory set = new Memory(size))
        {
            hash.write(0, thumbprint, 0, 20);
            set.clear();
            key.write(set);
            set.setInt(param + Layout.SSL_PARAM_HASH_LENGTH, 20);
            set.setPointer(param + Layout.SSL_PARAM_P_HASH, hash);
            set.write(param + Layout.SSL_PARAM_APP_ID, guid(app), 0, 16);
            set.setPointer(param + Layout.SSL_PARAM_P_STORE_NAME, storeName);
            set.setInt(param + Layout.SSL_PARAM_DEFAULT_FLAGS, negotiateClientCertificate ? Layout.HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT : 0);
            int rc = HttpServiceConfig.call(() -> HttpApi.HttpSetServiceConfiguration(null, configId, set, size, null));
            if (rc != Layout.NO_ERROR)
                throw HttpServiceConfig.refused("binding a certificate to " + netshKey.substring(netshKey.indexOf('=') + 1), rc,
                    "netsh http add sslcert " + netshKey + " certhash=" + HexFormat.of().formatHex(thumbprint) + " appid={" + app + "}" +
                        (store == null ? "" : " certstorename=" + store) + (negotiateClientCertificate ? " clientcertnegotiation=enable" : ""));
        }
    }

    private static boolean delete(int configId, int size, Key key, String netshKey)
    {
        try (Memory set = new Memory(size))
        {
            set.clear();
            key.write(set);
            int rc = HttpServiceConfig.call(() -> HttpApi.HttpDeleteServiceConfiguration(null, configId, set, size, null));
            if (rc == Layout.ERROR_FILE_NOT_FOUND)
                return false;
            if (rc != Layout.NO_ERROR)
                throw HttpServiceConfig.refused("deleting the certificate binding of " + netshKey.substring(netshKey.indexOf('=') + 1), rc,
                    "netsh http delete sslcert " + netshKey);
            return true;
        }
    }

    /**
     * The one-line command, for an operator without netsh scripts:
     * <pre>
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.SslCertificateBindings add 0.0.0.0:443 THUMBPRINT [APPID] [negotiate]
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.SslCertificateBindings add www.example.com:443 THUMBPRINT [APPID] [negotiate]
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.SslCertificateBindings delete 0.0.0.0:443
     * </pre>
     * An address (such as {@code 0.0.0.0} or {@code [::]}) makes an address binding, a host name an SNI binding.
     *
     * @param args {@code add IP:PORT|HOST:PORT THUMBPRINT [APPID] [negotiate]} or {@code delete IP:PORT|HOST:PORT}
     */
    public static void main(String... args)
    {
        if (args.length >= 3 && args[0].equals("add"))
        {
            UUID appId = args.length > 3 ? UUID.fromString(args[3].replace("{", "").replace("}", "")) : new UUID(0, 0);
            boolean negotiate = args.length > 4 && args[4].equalsIgnoreCase("negotiate");
            byte[] thumbprint = HexFormat.of().parseHex(args[2].replace(" ", ""));
            String host = host(args[1]);
            if (isAddress(host))
                add(ipPort(args[1]), thumbprint, "MY", appId, negotiate);
            else
                add(host, port(args[1]), thumbprint, "MY", appId, negotiate);
            System.out.println("bound " + args[1] + " to certificate " + args[2]);
        }
        else if (args.length == 2 && args[0].equals("delete"))
        {
            String host = host(args[1]);
            boolean deleted = isAddress(host) ? delete(ipPort(args[1])) : delete(host, port(args[1]));
            System.out.println(deleted ? "deleted the binding of " + args[1] : "no binding for " + args[1]);
        }
        else
        {
            throw new IllegalArgumentException("usage: add IP:PORT|HOST:PORT THUMBPRINT [APPID] [negotiate] | delete IP:PORT|HOST:PORT");
        }
    }

    private static String host(String text)
    {
        int colon = text.lastIndexOf(':');
        if (colon <= 0)
            throw new IllegalArgumentException("IP:PORT or HOST:PORT, such as 0.0.0.0:443: " + text);
        return text.substring(0, colon).replace("[", "").replace("]", "");
    }

    private static int port(String text)
    {
        return Integer.parseInt(text.substring(text.lastIndexOf(':') + 1));
    }

    /** An IPv4 or IPv6 literal (never resolved: a host name is an SNI key, not an address to look up). */
    private static boolean isAddress(String host)
    {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    private static String checkHostname(String hostname)
    {
        if (hostname == null || hostname.isEmpty() || !hostname.matches("[A-Za-z0-9*.-]+"))
            throw new IllegalArgumentException("a host name as clients send it in SNI, such as www.example.com: " + hostname);
        return hostname;
    }

    /** The SNI key's SOCKADDR_STORAGE: the port, with the address left 0.0.0.0 (SNI bindings are per port). */
    private static Memory sniAddress(int port)
    {
        return sockaddr(new InetSocketAddress("0.0.0.0", port));
    }

    private static void sniKey(Memory set, Memory address, Memory host)
    {
        set.write(0, address.getByteArray(0, (int)address.size()), 0, (int)address.size());
        set.setPointer(Layout.SSL_SNI_KEY_HOST, host);
    }

    private static InetSocketAddress ipPort(String text)
    {
        return new InetSocketAddress(host(text), port(text));
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

    private static Memory utf16(String s)
    {
        return HttpServiceConfig.utf16(s);
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
