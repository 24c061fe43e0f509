package io.github.jettyhttpsys;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import io.github.jettyhttpsys.emulator.HttpEmu;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A self-signed certificate for the TLS tests, made with the openssl command: as a PEM for the
 * emulator's store (the stand-in for LocalMachine\My), bound to a port as netsh would, and as a PKCS12
 * key store for Jetty's own TLS connector, the oracle.
 */
final class TestTls
{
    final Path dir;
    final Path pem;
    final Path p12;

    private TestTls(Path dir, String cn) throws Exception
    {
        this.dir = dir;
        Path key = dir.resolve(cn + ".key"), cert = dir.resolve(cn + ".crt");
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
            "-addext", "subjectAltName=DNS:" + cn + ",IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString());
        pem = dir.resolve(cn + ".pem");
        Files.writeString(pem, Files.readString(cert) + Files.readString(key));
        p12 = dir.resolve(cn + ".p12");
        openssl(dir, "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(), "-out", p12.toString(), "-passout", "pass:secret");
    }

    static TestTls make(Path dir, String cn) throws Exception
    {
        return new TestTls(dir, cn);
    }

    static void openssl(Path dir, String... args) throws Exception
    {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl (package openssl) failed: " + command + ": " + out);
    }

    /** Imports the certificate into the emulator's store and binds it to 127.0.0.1:port. */
    void bind(int port)
    {
        SslCertificateBindings.add(new InetSocketAddress("127.0.0.1", port), HttpEmu.addCertificate(pem), null, null, false);
    }

    /** Jetty's server TLS configuration with this certificate. */
    org.eclipse.jetty.util.ssl.SslContextFactory.Server serverContext()
    {
        org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        ssl.setKeyStorePath(p12.toString());
        ssl.setKeyStoreType("PKCS12");
        ssl.setKeyStorePassword("secret");
        return ssl;
    }

    private static SSLContext trustAll;

    /** A client context that accepts any server certificate: for tests about the connection, not about trust. */
    static synchronized SSLContext trustAll() throws Exception
    {
        if (trustAll == null)
        {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[]{new X509TrustManager()
            {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType)
                {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType)
                {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers()
                {
                    return new X509Certificate[0];
                }
            }}, null);
            trustAll = ssl;
        }
        return trustAll;
    }
}
