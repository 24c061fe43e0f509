package io.github.jettyhttpsys;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Which responses the connector offers to HTTP.sys's kernel response cache, and for how long: the rules of
 * ASP.NET's {@code EnableResponseCaching} (F-166), which only choose the time to live. The kernel then decides
 * whether it really caches (a complete GET without Authorization or Range, a response sent whole in one
 * call with a Content-Type, no 206, F-163, F-164) and answers later requests for the URL itself (F-165).
 * <ul>
 * <li>never with Set-Cookie, Vary or Pragma: a per-user or negotiated response must not reach other clients;</li>
 * <li>only with a Cache-Control that says {@code public}: the application opts in, as for a shared cache;</li>
 * <li>time to live: {@code s-maxage}, else {@code max-age}, else Expires minus now when positive.</li>
 * </ul>
 */
final class ResponseCaching
{
    private ResponseCaching()
    {
    }

    /**
     * @param fields the response's headers
     * @param nowMillis the current time, for Expires
     * @return the time to live in seconds, or 0 when the response is not offered to the cache
     */
    static int timeToLive(HttpFields fields, long nowMillis)
    {
        boolean isPublic = false;
        long sMaxAge = -1;
        long maxAge = -1;
        boolean hasCacheControl = false;
        String expires = null;
        HttpFields readable = ResponseHeaders.readable(fields);
        for (int i = 0, n = readable.size(); i < n; i++)
        {
            HttpField f = readable.getField(i);
            HttpHeader h = f.getHeader();
            if (h == HttpHeader.SET_COOKIE || h == HttpHeader.VARY || h == HttpHeader.PRAGMA)
                return 0;
            if (h == HttpHeader.EXPIRES)
            {
                expires = f.getValue();
            }
            else if (h == HttpHeader.CACHE_CONTROL)
            {
                hasCacheControl = true;
                for (String directive : f.getValues())
                {
                    String d = directive.trim();
                    int eq = d.indexOf('=');
                    String name = (eq < 0 ? d : d.substring(0, eq)).trim();
                    String value = eq < 0 ? null : unquote(d.substring(eq + 1).trim());
                    if (name.equalsIgnoreCase("public"))
                        isPublic = true;
                    else if (name.equalsIgnoreCase("s-maxage"))
                        sMaxAge = seconds(value);
                    else if (name.equalsIgnoreCase("max-age"))
                        maxAge = seconds(value);
                }
            }
        }
        if (!hasCacheControl || !isPublic)
            return 0;
        long ttl;
        if (sMaxAge >= 0)
            ttl = sMaxAge;
        else if (maxAge >= 0)
            ttl = maxAge;
        else if (expires != null)
        {
            long at = HttpFields.build().add(HttpHeader.EXPIRES, expires).getDateField(HttpHeader.EXPIRES);
            ttl = at < 0 ? 0 : (at - nowMillis) / 1000;
        }
        else
            ttl = 0;
        // HTTP_CACHE_POLICY.SecondsToLive is a ULONG; HTTP.sys takes int.MaxValue (F-164).
        return (int)Math.max(0, Math.min(Integer.MAX_VALUE, ttl));
    }

    private static String unquote(String v)
    {
        return v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"' ? v.substring(1, v.length() - 1) : v;
    }

    /** A delta-seconds value (RFC 9111 §1.2.2), or -1 when it is not one. */
    private static long seconds(String value)
    {
        if (value == null || value.isEmpty())
            return -1;
        long n = 0;
        for (int i = 0; i < value.length(); i++)
        {
            char c = value.charAt(i);
            if (c < '0' || c > '9')
                return -1;
            n = Math.min(Integer.MAX_VALUE, n * 10 + (c - '0'));
        }
        return n;
    }
}
