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
    public int queueLength = 1000;
    public int receiveConcurrency = Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
    public int completionThreads = Integer.getInteger("jetty.httpsys.completionThreads", Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    public int maxConnections = -1;
    public int entityBodyTimeoutSeconds = 120;
    public int drainEntityBodyTimeoutSeconds = 120;
    public int requestQueueTimeoutSeconds = 120;
    public int idleConnectionTimeoutSeconds = 120;
    public int headerWaitTimeoutSeconds = 120;
    public int minSendRateBytesPerSecond = 150;

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
}
