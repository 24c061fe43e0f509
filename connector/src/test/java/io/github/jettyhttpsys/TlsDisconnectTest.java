package io.github.jettyhttpsys;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every disconnect case of {@link DisconnectTest} over https: TLS done by HTTP.sys must not hide a
 * vanished client from the application, nor delay it. The client drops the TCP connection under its
 * TLS session (RST) or closes it (close_notify, then FIN).
 */
public class TlsDisconnectTest extends DisconnectTest
{
    @TempDir
    static Path dir;

    private static TestTls tls;

    @BeforeAll
    public static void certificate() throws Exception
    {
        Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: certificate import");
        tls = TestTls.make(dir, "localhost");
    }

    @Override
    protected String scheme()
    {
        return "https";
    }

    @Override
    protected void beforeStart(int port)
    {
        tls.bind(port);
    }

    @Override
    protected void afterStop()
    {
        HttpEmu.clearCertificates();
    }

    @Override
    protected Socket connect(int port) throws IOException
    {
        SSLSocket s = (SSLSocket)trustAll().getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        // as browsers do: without it the request waits behind the client's Finished for a delayed ACK
        s.setTcpNoDelay(true);
        s.startHandshake();
        return s;
    }

    private static javax.net.ssl.SSLContext trustAll() throws IOException
    {
        try
        {
            return TestTls.trustAll();
        }
        catch (Exception x)
        {
            throw new IOException(x);
        }
    }
}
