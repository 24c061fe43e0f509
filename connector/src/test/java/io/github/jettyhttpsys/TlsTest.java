package io.github.jettyhttpsys;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * https through the kernel: a certificate bound with {@link SslCertificateBindings} (what netsh
 * does), TLS terminated by HTTP.sys (OpenSSL in the emulator), and the TLS data HTTP.sys reports
 * reaching Jetty as {@link EndPoint.SslSessionData}. A real JDK TLS client on loopback.
 */
public class TlsTest
{
    @TempDir
    Path dir;

    private Server server;
    private int port;
    private Path pem;
    private ClientCertificateMode mode = ClientCertificateMode.NEGOTIATED;
    private final java.util.concurrent.CountDownLatch parked = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CompletableFuture<Throwable> parkedFailure = new java.util.concurrent.CompletableFuture<>();

    @BeforeEach
    public void certificate() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: certificate import");
        pem = dir.resolve("server.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
            .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl (package openssl) made no certificate");
        Files.write(pem, (Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem"))).getBytes());
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        if (HttpEmu.isAvailable())
            HttpEmu.clearCertificates();
        TestSupport.assertNothingLeaked();
    }

    private void start(boolean bind) throws Exception
    {
        start(bind, false);
    }

    private void start(boolean bind, boolean negotiateClientCertificate) throws Exception
    {
        port = TestSupport.freePort();
        if (bind)
        {
            byte[] thumbprint = HttpEmu.addCertificate(pem);
            SslCertificateBindings.add(new InetSocketAddress("127.0.0.1", port), thumbprint, "MY", UUID.randomUUID(), negotiateClientCertificate);
        }
        HttpConfiguration config = new HttpConfiguration();
        config.addCustomizer(new SecureRequestCustomizer());
        server = new Server();
        HttpSysConnector connector = new HttpSysConnector(server, config, "https://127.0.0.1:" + port + "/");
        connector.setClientCertificateMode(mode);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                if (request.getHttpURI().getPath().equals("/park"))
                {
                    // a long poll: held until the client goes away
                    request.addFailureListener(x ->
                    {
                        parkedFailure.complete(x);
                        callback.failed(x);
                    });
                    parked.countDown();
                    return true;
                }
                EndPoint.SslSessionData tls = (EndPoint.SslSessionData)request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
                if (request.getHttpURI().getPath().equals("/who"))
                {
                    java.security.cert.X509Certificate[] certs = tls == null ? null : tls.peerCertificates();
                    Content.Sink.write(response, true, certs == null ? "anonymous" : certs[0].getSubjectX500Principal().getName(), callback);
                    return true;
                }
                String body = request.isSecure() + "|" + request.getHttpURI().getScheme() + "|" +
                    (tls == null ? "no-tls-data" : tls.cipherSuite() + "|" + tls.keySize()) + "|" +
                    ((HttpSysConnection)request.getConnectionMetaData().getConnection()).tls().protocol();
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        });
        server.start();
    }

    /** A trust store holding the server's self-signed certificate. */
    private KeyStore trustStore() throws Exception
    {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("cert.pem")))));
        return trust;
    }

    private HttpClient client(String protocol) throws Exception
    {
        KeyStore trust = trustStore();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        SSLParameters params = ssl.getDefaultSSLParameters();
        params.setProtocols(new String[]{protocol});
        return HttpClient.newBuilder().sslContext(ssl).sslParameters(params).version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    public void httpsRequestCarriesTheKernelsTlsData(String protocol) throws Exception
    {
        start(true);
        HttpClient client = client(protocol);
        URI uri = URI.create("https://127.0.0.1:" + port + "/tls");
        for (int i = 0; i < 2; i++) // two requests on one kept-alive TLS connection
        {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            String[] f = r.body().split("\\|");
            assertEquals("true", f[0], r.body());
            assertEquals("https", f[1], r.body());
            String suite = r.sslSession().orElseThrow().getCipherSuite();
            assertEquals(suite, f[2], "the cipher suite named from HTTP.sys's ALG_IDs is the one the client negotiated");
            assertTrue(Integer.parseInt(f[3]) >= 128, r.body());
            assertEquals(protocol, f[4], r.body());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3"})
    public void withoutABindingTheHandshakeFails(String protocol) throws Exception
    {
        start(false);
        HttpClient client = client(protocol);
        URI uri = URI.create("https://127.0.0.1:" + port + "/none");
        assertThrows(java.io.IOException.class, () -> client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString()));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true})
    public void aBindingCanBeDeletedAndABadOneIsRefusedClearly(boolean unused) throws Exception
    {
        byte[] thumbprint = HttpEmu.addCertificate(pem);
        InetSocketAddress where = new InetSocketAddress("127.0.0.1", TestSupport.freePort());
        SslCertificateBindings.add(where, thumbprint, null, null, false);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> SslCertificateBindings.add(where, thumbprint, null, null, false));
        assertTrue(twice.getMessage().contains("exists already"), twice.getMessage());
        assertTrue(SslCertificateBindings.delete(where));
        assertEquals(false, SslCertificateBindings.delete(where));
        // The one-line command does the same.
        String ipPort = "127.0.0.1:" + where.getPort();
        SslCertificateBindings.main("add", ipPort, java.util.HexFormat.of().formatHex(thumbprint), "{4dc3e181-e14b-4a21-b022-59fc669b0914}");
        assertThrows(IllegalStateException.class, () -> SslCertificateBindings.main("add", ipPort, java.util.HexFormat.of().formatHex(thumbprint)));
        SslCertificateBindings.main("delete", ipPort);
        assertEquals(false, SslCertificateBindings.delete(where));
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    public void curlAndJettysHttpClientSpeakHttpsToIt(String protocol) throws Exception
    {
        start(true);
        String url = "https://127.0.0.1:" + port + "/tls";
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("curl", "-sS", "--max-time", "10", "--cacert",
            dir.resolve("cert.pem").toString()));
        command.addAll(protocol.equals("TLSv1.2") ? java.util.List.of("--tlsv1.2", "--tls-max", "1.2") : java.util.List.of("--tlsv1.3"));
        command.add(url);
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes());
        assertTrue(curl.waitFor(20, TimeUnit.SECONDS));
        assertTrue(out.startsWith("true|https|TLS_"), "curl: " + out);
        assertTrue(out.endsWith("|" + protocol), "curl: " + out);

        org.eclipse.jetty.util.ssl.SslContextFactory.Client tls = new org.eclipse.jetty.util.ssl.SslContextFactory.Client();
        KeyStore trust = trustStore();
        tls.setTrustStore(trust);
        tls.setIncludeProtocols(protocol);
        org.eclipse.jetty.client.HttpClient jetty = new org.eclipse.jetty.client.HttpClient(
            new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(new org.eclipse.jetty.io.ClientConnector()));
        jetty.setSslContextFactory(tls);
        jetty.start();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                String body = jetty.newRequest(url).timeout(10, TimeUnit.SECONDS).send().getContentAsString();
                assertTrue(body.startsWith("true|https|TLS_") && body.endsWith("|" + protocol), "Jetty HttpClient: " + body);
            }
        }
        finally
        {
            jetty.stop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3"})
    public void aClientThatVanishesOverTlsFailsItsRequestAtOnce(String protocol) throws Exception
    {
        start(true);
        KeyStore trust = trustStore();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance(protocol);
        ssl.init(null, tmf.getTrustManagers(), null);
        javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket)ssl.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setEnabledProtocols(new String[]{protocol});
        socket.getOutputStream().write(("GET /park HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        assertTrue(parked.await(10, TimeUnit.SECONDS));
        socket.setSoLinger(true, 0);
        socket.close(); // reset, as a browser tab closing does
        Throwable x = parkedFailure.get(10, TimeUnit.SECONDS);
        assertTrue(x instanceof org.eclipse.jetty.io.EofException, String.valueOf(x));
    }

    private void openssl(String... args) throws Exception
    {
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add("openssl");
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + command + ": " + out);
    }

    /** A client certificate the "machine" trusts (the emulator trusts what was imported); its client. */
    private HttpClient clientWithCertificate(String protocol) throws Exception
    {
        return clientWithCertificate(protocol, true);
    }

    private HttpClient clientWithCertificate(String protocol, boolean trusted) throws Exception
    {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=alice", "-addext", "extendedKeyUsage=clientAuth",
            "-keyout", "client.key", "-out", "client.crt");
        openssl("pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key", "-out", "client.p12", "-passout", "pass:secret");
        Files.write(dir.resolve("client.pem"), (Files.readString(dir.resolve("client.crt")) + Files.readString(dir.resolve("client.key"))).getBytes());
        if (trusted)
            HttpEmu.addCertificate(dir.resolve("client.pem"));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(dir.resolve("client.p12")))
        {
            keys.load(in, "secret".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "secret".toCharArray());
        KeyStore trust = trustStore();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLParameters params = ssl.getDefaultSSLParameters();
        params.setProtocols(new String[]{protocol});
        return HttpClient.newBuilder().sslContext(ssl).sslParameters(params).version(HttpClient.Version.HTTP_1_1).build();
    }

    private String who(HttpClient client) throws Exception
    {
        URI uri = URI.create("https://127.0.0.1:" + port + "/who");
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    public void clientCertificateNegotiatedAtTheHandshakeReachesJetty(String protocol) throws Exception
    {
        HttpClient withCert = clientWithCertificate(protocol);
        start(true, true);
        assertEquals("CN=alice", who(withCert));
        // Without a certificate the request is still delivered (HTTP.sys leaves the decision to the application).
        assertEquals("anonymous", who(client(protocol)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    public void renegotiationAsksForTheCertificateWhereTlsAllowsIt(String protocol) throws Exception
    {
        HttpClient withCert = clientWithCertificate(protocol);
        mode = ClientCertificateMode.RENEGOTIATE;
        start(true, false);
        // TLS 1.2 renegotiates (F-125); TLS 1.3 cannot, so that connection gets none (F-126).
        assertEquals(protocol.equals("TLSv1.2") ? "CN=alice" : "anonymous", who(withCert));
        assertEquals("anonymous", who(client(protocol)), "a client without a certificate is still served");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3"})
    public void modeNoneGivesJettyNoCertificate(String protocol) throws Exception
    {
        HttpClient withCert = clientWithCertificate(protocol);
        mode = ClientCertificateMode.NONE;
        start(true, true);
        assertEquals("anonymous", who(withCert));
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3"})
    public void clientCertLoginAuthenticatesTheCertificatesUser(String protocol) throws Exception
    {
        HttpClient withCert = clientWithCertificate(protocol);
        java.security.cert.X509Certificate alice = (java.security.cert.X509Certificate)CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("client.crt"))));
        port = TestSupport.freePort();
        SslCertificateBindings.add(new InetSocketAddress("127.0.0.1", port), HttpEmu.addCertificate(pem), "MY", UUID.randomUUID(), true);
        org.eclipse.jetty.security.UserStore users = new org.eclipse.jetty.security.UserStore();
        // Jetty's CLIENT-CERT login: the user is the certificate's subject, its credential the signature.
        users.addUser(alice.getSubjectX500Principal().getName(),
            new org.eclipse.jetty.util.security.Password(java.util.Base64.getEncoder().encodeToString(alice.getSignature())), new String[]{"user"});
        org.eclipse.jetty.security.HashLoginService login = new org.eclipse.jetty.security.HashLoginService("certs");
        login.setUserStore(users);
        org.eclipse.jetty.security.authentication.SslClientCertAuthenticator authenticator =
            new org.eclipse.jetty.security.authentication.SslClientCertAuthenticator(new org.eclipse.jetty.util.ssl.SslContextFactory.Server());
        authenticator.setValidateCerts(false); // HTTP.sys verified the chain (CertFlags, F-127)
        org.eclipse.jetty.security.SecurityHandler.PathMapped security = new org.eclipse.jetty.security.SecurityHandler.PathMapped();
        security.put("/*", org.eclipse.jetty.security.Constraint.ANY_USER);
        security.setAuthenticator(authenticator);
        security.setLoginService(login);
        security.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                org.eclipse.jetty.security.AuthenticationState auth = org.eclipse.jetty.security.AuthenticationState.getAuthenticationState(request);
                Content.Sink.write(response, true, auth instanceof org.eclipse.jetty.security.AuthenticationState.Succeeded ok
                    ? ok.getUserIdentity().getUserPrincipal().getName() + "|" + ok.getAuthenticationType() : "unauthenticated", callback);
                return true;
            }
        });
        HttpConfiguration config = new HttpConfiguration();
        config.addCustomizer(new SecureRequestCustomizer());
        server = new Server();
        server.addConnector(new HttpSysConnector(server, config, "https://127.0.0.1:" + port + "/"));
        server.setHandler(security);
        server.start();
        URI uri = URI.create("https://127.0.0.1:" + port + "/secret");
        HttpResponse<String> r = withCert.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("CN=alice|CLIENT_CERT", r.body());
        HttpResponse<String> none = client(protocol).send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(none.statusCode() == 403 || none.statusCode() == 401, "no certificate, no login: " + none.statusCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    public void anUntrustedClientCertificateIsNotGivenToJetty(String protocol) throws Exception
    {
        HttpClient withUntrusted = clientWithCertificate(protocol, false);
        mode = protocol.equals("TLSv1.2") ? ClientCertificateMode.RENEGOTIATE : ClientCertificateMode.NEGOTIATED;
        start(true, protocol.equals("TLSv1.3"));
        // HTTP.sys delivers the request with CertFlags CERT_E_UNTRUSTEDROOT (F-127); Jetty sees no peer.
        assertEquals("anonymous", who(withUntrusted));
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    public void theSameTlsDataAsJettysOwnTlsConnector(String protocol) throws Exception
    {
        // The oracle: Jetty's ServerConnector with SslConnectionFactory, same certificate, same client.
        openssl("pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "server.p12", "-passout", "pass:secret");
        Handler report = new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                EndPoint.SslSessionData tls = (EndPoint.SslSessionData)request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
                Content.Sink.write(response, true, request.isSecure() + "|" + request.getHttpURI().getScheme() + "|" +
                    (tls == null ? "none" : tls.cipherSuite() + "|" + tls.keySize() + "|" + (tls.peerCertificates() == null)), callback);
                return true;
            }
        };
        HttpConfiguration config = new HttpConfiguration();
        config.addCustomizer(new SecureRequestCustomizer());
        Server jetty = new Server();
        org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        ssl.setKeyStorePath(dir.resolve("server.p12").toString());
        ssl.setKeyStoreType("PKCS12");
        ssl.setKeyStorePassword("secret");
        org.eclipse.jetty.server.ServerConnector jc = new org.eclipse.jetty.server.ServerConnector(jetty, ssl,
            new org.eclipse.jetty.server.HttpConnectionFactory(config));
        jc.setHost("127.0.0.1");
        jetty.addConnector(jc);
        jetty.setHandler(report);
        String expected;
        HttpClient client = client(protocol);
        try
        {
            jetty.start();
            expected = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + jc.getLocalPort() + "/")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        }
        finally
        {
            jetty.stop();
        }
        port = TestSupport.freePort();
        SslCertificateBindings.add(new InetSocketAddress("127.0.0.1", port), HttpEmu.addCertificate(pem), "MY", null, false);
        server = new Server();
        server.addConnector(new HttpSysConnector(server, config, "https://127.0.0.1:" + port + "/"));
        server.setHandler(report);
        server.start();
        String actual = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(expected.startsWith("true|https|TLS_"), expected);
        assertEquals(expected, actual, "Jetty's own TLS connector and HTTP.sys give Jetty the same TLS data");
    }

    /** A browser's second connection (a WebSocket next to its HTTP/2 one) offers the session of the first. */
    @org.junit.jupiter.api.Test
    public void aClientOfferingASavedSessionIsServed() throws Exception
    {
        start(true);
        Path session = dir.resolve("session.pem");
        String first = s_client("-sess_out", session.toString());
        assertTrue(first.contains("HTTP/1.1 200"), first);
        assertTrue(Files.exists(session), "no session to resume: " + first);
        String second = s_client("-sess_in", session.toString());
        assertTrue(second.contains("Reused,"), second);
        assertTrue(second.contains("HTTP/1.1 200"), second);
    }

    private String s_client(String... session) throws Exception
    {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("openssl", "s_client", "-ign_eof", "-alpn", "http/1.1",
            "-servername", "localhost", "-connect", "127.0.0.1:" + port));
        command.addAll(java.util.List.of(session));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n").getBytes());
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), out);
        return out;
    }
}
