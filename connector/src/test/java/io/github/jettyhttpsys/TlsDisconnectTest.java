package io.github.jettyhttpsys;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every disconnect case of {@link DisconnectTest} over https: TLS done by HTTP.sys must not hide a
 * vanished client from the application, nor delay it. The client drops the TCP connection under its
 * TLS session (RST) or closes it (close_notify, then FIN).
 */
public class TlsDisconnectTest extends DisconnectTest
{
    @TempDir
    static Path dir;

    private static Path pem;

    @BeforeAll
    public static void certificate() throws Exception
    {
        Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: certificate import");
        pem = dir.resolve("server.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl (package openssl) made no certificate");
        Files.writeString(pem, Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem")));
    }

    @Override
    protected String scheme()
    {
        return "https";
    }

    @Override
    protected void beforeStart(int port)
    {
        SslCertificateBindings.add(new InetSocketAddress("127.0.0.1", port), HttpEmu.addCertificate(pem), null, null, false);
    }

    @Override
    protected void afterStop()
    {
        HttpEmu.clearCertificates();
    }

    private static SSLContext ssl;

    @Override
    protected Socket connect(int port) throws IOException
    {
        SSLSocket s = (SSLSocket)context().getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        // as browsers do: without it the request waits behind the client's Finished for a delayed ACK
        s.setTcpNoDelay(true);
        s.startHandshake();
        return s;
    }

    private static synchronized SSLContext context() throws IOException
    {
        if (ssl != null)
            return ssl;
        try
        {
            ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[]{new X509TrustManager()
            {
                // the certificate is the test's own; what is tested is the connection's end
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
            return ssl;
        }
        catch (java.security.GeneralSecurityException x)
        {
            throw new IOException(x);
        }
    }
}
