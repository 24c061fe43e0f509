package io.github.jettyhttpsys;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator configures once per machine, from Java instead of netsh: certificate bindings by
 * address and by host name (SNI, two certificates on one port), and URL ACL reservations that let an
 * account that is not an administrator serve a wildcard prefix (F-106, F-113, F-114, F-118, F-193).
 */
public class ServiceConfigTest
{
    @TempDir
    Path dir;

    private Server server;

    @BeforeEach
    public void emulator()
    {
        Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: certificate import and the administrator stand-in");
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        HttpEmu.setElevated(true);
        HttpEmu.clearCertificates();
        HttpEmu.clearUrlAcls();
        TestSupport.assertNothingLeaked();
    }

    private byte[] certificate(String cn) throws Exception
    {
        Path key = dir.resolve(cn + ".key"), cert = dir.resolve(cn + ".crt"), pem = dir.resolve(cn + ".pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
            "-addext", "subjectAltName=DNS:" + cn, "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl (package openssl) made no certificate");
        Files.writeString(pem, Files.readString(cert) + Files.readString(key));
        return HttpEmu.addCertificate(pem);
    }

    private void start(String prefix) throws Exception
    {
        server = new Server();
        server.addConnector(new HttpSysConnector(server, new HttpConfiguration(), prefix));
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, "served " + request.getHttpURI().getPath(), callback);
                return true;
            }
        });
        server.start();
    }

    /** Connects with the given SNI name (none when null), returns the certificate the server chose and the reply to a GET. */
    private static String[] handshake(int port, String sni) throws Exception
    {
        X509Certificate[][] seen = new X509Certificate[1][];
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[]{new X509TrustManager()
        {
            // the test only records which certificate the server presented
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType)
            {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType)
            {
                seen[0] = chain;
            }

            @Override
            public X509Certificate[] getAcceptedIssuers()
            {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket socket = (SSLSocket)ssl.getSocketFactory().createSocket("127.0.0.1", port))
        {
            socket.setSoTimeout(10_000);
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            socket.setSSLParameters(params);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("GET /hello HTTP/1.1\r\nHost: " + (sni == null ? "127.0.0.1" : sni) + ":" + port + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return new String[]{seen[0][0].getSubjectX500Principal().getName(), reply};
        }
    }

    @Test
    public void twoHostNamesOnOnePortGetTheirOwnCertificates() throws Exception
    {
        int port = TestSupport.freePort();
        byte[] fallback = certificate("localhost");
        SslCertificateBindings.add(new InetSocketAddress("127.0.0.1", port), fallback, null, null, false);
        SslCertificateBindings.add("a.test", port, certificate("a.test"), "MY", UUID.randomUUID(), false);
        SslCertificateBindings.add("b.test", port, certificate("b.test"), null, null, false);
        start("https://+:" + port + "/");

        String[] a = handshake(port, "a.test");
        assertEquals("CN=a.test", a[0]);
        assertTrue(a[1].startsWith("HTTP/1.1 200") && a[1].endsWith("served /hello"), a[1]);
        assertEquals("CN=b.test", handshake(port, "b.test")[0]);
        assertEquals("CN=localhost", handshake(port, "c.test")[0]);   // no host binding: the address one (F-118)
        assertEquals("CN=localhost", handshake(port, null)[0]);

        // a second binding of the same name is refused with the way out; deleting works once
        IllegalStateException twice = assertThrows(IllegalStateException.class,
            () -> SslCertificateBindings.add("A.TEST", port, fallback, null, null, false));
        assertTrue(twice.getMessage().contains("exists already"), twice.getMessage());
        assertTrue(SslCertificateBindings.delete("a.test", port));
        assertFalse(SslCertificateBindings.delete("a.test", port));
        assertEquals("CN=localhost", handshake(port, "a.test")[0]);
        assertThrows(IllegalArgumentException.class, () -> SslCertificateBindings.add("bad host", port, fallback, null, null, false));
    }

    @Test
    public void theCommandLineBindsByAddressOrByHostName() throws Exception
    {
        int port = TestSupport.freePort();
        String hex = java.util.HexFormat.of().formatHex(certificate("cli.test"));
        SslCertificateBindings.main("add", "cli.test:" + port, hex);
        SslCertificateBindings.main("add", "0.0.0.0:" + port, hex, "{" + UUID.randomUUID() + "}", "negotiate");
        start("https://+:" + port + "/");
        assertEquals("CN=cli.test", handshake(port, "cli.test")[0]);
        SslCertificateBindings.main("delete", "cli.test:" + port);
        SslCertificateBindings.main("delete", "0.0.0.0:" + port);
        assertFalse(SslCertificateBindings.delete(new InetSocketAddress("0.0.0.0", port)));
    }

    @Test
    public void anOrdinaryAccountNeedsAReservationAndIsToldHowToMakeOne() throws Exception
    {
        int port = TestSupport.freePort();
        String prefix = "http://+:" + port + "/app/";
        HttpEmu.setElevated(false);
        // without a reservation the connector does not start, and says what to run
        java.io.IOException denied = assertThrows(java.io.IOException.class, () -> start(prefix));
        server.stop();
        server = null;
        String message = String.valueOf(denied.getMessage()) + (denied.getCause() == null ? "" : denied.getCause().getMessage());
        assertTrue(message.contains("netsh http add urlacl url=" + prefix) && message.contains("UrlReservations add " + prefix), message);
        // writing one needs an administrator: the error names the netsh command
        IllegalStateException notAdmin = assertThrows(IllegalStateException.class, () -> UrlReservations.add(prefix, UrlReservations.EVERYONE));
        assertTrue(notAdmin.getMessage().contains("run as an administrator") &&
            notAdmin.getMessage().contains("netsh http add urlacl url=" + prefix + " sddl=D:(A;;GX;;;WD)"), notAdmin.getMessage());
        byte[] thumbprint = certificate("localhost");
        IllegalStateException noBinding = assertThrows(IllegalStateException.class,
            () -> SslCertificateBindings.add(new InetSocketAddress("0.0.0.0", port), thumbprint, null, null, false));
        assertTrue(noBinding.getMessage().contains("netsh http add sslcert ipport=0.0.0.0:" + port), noBinding.getMessage());

        // an administrator reserves it once; the ordinary account then serves it
        HttpEmu.setElevated(true);
        UrlReservations.add(prefix, UrlReservations.EVERYONE);
        assertEquals(UrlReservations.EVERYONE, UrlReservations.list().get(prefix));
        HttpEmu.setElevated(false);
        assertEquals(UrlReservations.EVERYONE, UrlReservations.list().get(prefix)); // reading needs no administrator
        start(prefix);
        java.net.http.HttpResponse<String> reply = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/app/x")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode());
        assertEquals("served /app/x", reply.body());
        server.stop();
        server = null;

        HttpEmu.setElevated(true);
        assertThrows(IllegalStateException.class, () -> UrlReservations.add(prefix, UrlReservations.EVERYONE)); // exists already
        assertThrows(IllegalArgumentException.class, () -> UrlReservations.add("http://+:" + port + "/no-slash", UrlReservations.EVERYONE));
        IllegalStateException badSddl = assertThrows(IllegalStateException.class, () -> UrlReservations.add("http://+:" + port + "/b/", "D:(nonsense)"));
        assertTrue(badSddl.getMessage().contains("ERROR_INVALID_PARAMETER"), badSddl.getMessage());
        UrlReservations.main("add", "http://+:" + port + "/cli/");
        UrlReservations.main("list");
        UrlReservations.main("delete", "http://+:" + port + "/cli/");
        assertTrue(UrlReservations.delete(prefix));
        assertFalse(UrlReservations.delete(prefix));
        assertTrue(UrlReservations.list().isEmpty());
    }
}
