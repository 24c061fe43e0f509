package io.github.jettyhttpsys.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link RequestQueue} is opened with; every default equals HTTP.sys's own (F-94, F-97).
 */
public final class RequestQueueConfig
{
    public List<String> urlPrefixes = new ArrayList<>();
    public String name;
    public boolean attach;
    /** SDDL of the named queue's security descriptor (who may open it), null for HTTP.sys's default. */
    public String securityDescriptor;
    /** With a name: attach when a queue of that name exists already, else create it. */
    public boolean createOrAttach;
    /** HTTP_503_RESPONSE_VERBOSITY (F-94): 0 Basic (reset), 1 Limited, 2 Full; -1 leaves HTTP.sys's default. */
    public int verbosity503 = -1;
    public int queueLength = 1000;
    public int receiveConcurrency = defaultReceiveConcurrency();
    public int completionThreads = defaultCompletionThreads();
    /**
     * Runs the completion loops (Jetty's thread pool, which then counts them), started with the receives;
     * null: threads of their own, started when the queue opens.
     */
    public java.util.concurrent.Executor completionExecutor;
    /** A request's task runs on the completion thread that received it while another thread stays free to drain. */
    public boolean preferInlineScheduling = true;
    public int maxConnections = -1;
    // Timeouts in seconds (USHORT) and the minimum send rate: -1 is "not set", which leaves the
    // machine-wide value (netsh http add timeout, or HTTP.sys's 120 s / 150 B/s, F-97, F-99) alone.
    public int entityBodyTimeoutSeconds = -1;
    public int drainEntityBodyTimeoutSeconds = -1;
    public int requestQueueTimeoutSeconds = -1;
    public int idleConnectionTimeoutSeconds = -1;
    public int headerWaitTimeoutSeconds = -1;
    public int minSendRateBytesPerSecond = -1;

    /** HTTP_AUTH_ENABLE_* bits for HttpServerAuthenticationProperty on the URL group; 0: authentication off (F-132). */
    public int authSchemes;
    /** DisableNTLMCredentialCaching: every request of a keep-alive connection authenticates again (F-137). */
    public boolean disableNtlmCredentialCaching;
    /** HTTP_AUTH_EX_FLAG_ENABLE_KERBEROS_CREDENTIAL_CACHING (F-137). */
    public boolean kerberosCredentialCaching;
    /** BasicParams.Realm; null for none. */
    public String basicRealm;

    /** @return 2 × cores, at least 2 */
    public static int defaultReceiveConcurrency()
    {
        return Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
    }

    /** @return whether any timeout or the send rate was set */
    public boolean timeoutsSet()
    {
        return entityBodyTimeoutSeconds >= 0 || drainEntityBodyTimeoutSeconds >= 0 || requestQueueTimeoutSeconds >= 0 ||
            idleConnectionTimeoutSeconds >= 0 || headerWaitTimeoutSeconds >= 0 || minSendRateBytesPerSecond >= 0;
    }

    /**
     * @param what the setting's name, for the message
     * @param seconds a timeout: -1 (not set), 0 (HTTP.sys's default) or 1-65535
     * @return seconds
     * @throws IllegalArgumentException otherwise
     */
    public static int checkTimeout(String what, int seconds)
    {
        if (seconds < -1 || seconds > 65535)
            throw new IllegalArgumentException(what + " must be -1 (not set), 0 (HTTP.sys's default) or 1-65535 seconds: " + seconds);
        return seconds;
    }

    /**
     * Checks a URL prefix the way HTTP.sys will (F-102, F-103), with an error that says what is wrong.
     *
     * @param prefix the prefix
     * @throws IllegalArgumentException when it is malformed
     */
    public static void validatePrefix(String prefix)
    {
        String why = null;
        if (prefix == null || prefix.isEmpty())
            why = "it is empty";
        else if (!prefix.startsWith("http://") && !prefix.startsWith("https://"))
            why = "it must start with http:// or https:// (lower case)";
        else
        {
            String rest = prefix.substring(prefix.indexOf("://") + 3);
            int hostEnd = rest.startsWith("[") ? rest.indexOf(']') + 1 : 0;
            int colon = rest.indexOf(':', hostEnd);
            int slash = rest.indexOf('/', hostEnd);
            if (hostEnd < 0 || colon <= 0 || (slash >= 0 && slash < colon))
                why = "it needs a host and an explicit port, as in http://+:8080/";
            else if (slash < 0)
                why = "it must end the port with a '/', as in http://+:8080/";
            else
            {
                String port = rest.substring(colon + 1, slash);
                if (!port.matches("[1-9][0-9]{0,4}") || Integer.parseInt(port) > 65535)
                    why = "the port must be 1-65535 without leading zeros";
                else if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0)
                    why = "it must not contain a query or fragment";
            }
        }
        if (why != null)
            throw new IllegalArgumentException("Invalid HTTP.sys URL prefix '" + prefix + "': " + why);
    }

    /**
     * @param prefix a valid prefix
     * @return its port
     */
    public static int portOf(String prefix)
    {
        String rest = prefix.substring(prefix.indexOf("://") + 3);
        int hostEnd = rest.startsWith("[") ? rest.indexOf(']') + 1 : 0;
        int colon = rest.indexOf(':', hostEnd);
        int slash = rest.indexOf('/', colon);
        return Integer.parseInt(rest.substring(colon + 1, slash));
    }

    /**
     * @return half the cores, at least 2: one may run requests inline while another drains (the system property
     * jetty.httpsys.completionThreads overrides it)
     */
    public static int defaultCompletionThreads()
    {
        return Integer.getInteger("jetty.httpsys.completionThreads", Math.max(2, Runtime.getRuntime().availableProcessors() / 2));
    }
}
