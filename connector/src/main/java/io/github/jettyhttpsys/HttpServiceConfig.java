package io.github.jettyhttpsys;

import java.nio.charset.StandardCharsets;

import com.sun.jna.Memory;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * What {@link SslCertificateBindings} and {@link UrlReservations} share: a call to
 * {@code HttpSetServiceConfiguration} and its relatives between {@code HttpInitialize} and
 * {@code HttpTerminate} with {@code HTTP_INITIALIZE_CONFIG} (F-112), and errors that name the netsh
 * command an administrator would run instead (F-193). No logging classes are loaded: the one-line
 * commands run with JNA alone.
 */
final class HttpServiceConfig
{
    private HttpServiceConfig()
    {
    }

    interface Call
    {
        int invoke();
    }

    static int call(Call call)
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

    static IllegalStateException refused(String what, int rc, String netsh)
    {
        if (rc == Layout.ERROR_ACCESS_DENIED)
            return new IllegalStateException("HTTP.sys refused " + what + ": " + Layout.describeError(rc) +
                "; run as an administrator, or have one run: " + netsh);
        if (rc == Layout.ERROR_ALREADY_EXISTS)
            return new IllegalStateException("HTTP.sys refused " + what + ": one exists already (delete it first; netsh http show " +
                (netsh.contains("urlacl") ? "urlacl" : "sslcert") + ")");
        return new IllegalStateException("HTTP.sys refused " + what + ": " + Layout.describeError(rc) + " (the same as: " + netsh + ")");
    }

    /** A NUL-terminated UTF-16LE string. */
    static Memory utf16(String s)
    {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_16LE);
        Memory m = new Memory(b.length);
        m.write(0, b, 0, b.length);
        return m;
    }
}
