package io.github.jettyhttpsys;

import io.github.jettyhttpsys.nativeapi.HttpRequestView;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.util.HostPort;

/**
 * The Jetty request metadata of one HTTP.sys request, with the checks Jetty's own HTTP/1.1 parser
 * makes: a request that cannot become a Jetty request is a 400 {@link HttpException}, which
 * the connector answers itself with {@code Connection: close}. The authority is the client's (the
 * {@code Host} header or an absolute-form target), not HTTP.sys's cooked host, which always has a port.
 */
final class RequestMetaData
{
    /** The known fields of the request being made, per thread (see {@link #from}). */
    private static final ThreadLocal<HttpField[]> KNOWN = ThreadLocal.withInitial(() -> new HttpField[Layout.HttpHeaderRequestMaximum]);

    private RequestMetaData()
    {
    }

    /**
     * @param view the request as HTTP.sys delivered it
     * @param version the request's HTTP version
     * @param config the configuration (URI compliance)
     * @param cache the last field made for each known header, or null: a field whose raw value is the same
     *              is reused (fields are immutable), as Jetty's own parser keeps a connection's repeated
     *              fields, so a request that repeats its predecessor's headers makes no String for them
     * @return the request
     * @throws HttpException.RuntimeException (400) when the request is malformed
     */
    static MetaData.Request from(HttpRequestView view, HttpVersion version, HttpConfiguration config, HttpField[] cache)
    {
        // One pass over the known slots into this thread's list, then a builder sized to the request's fields:
        // the metadata keeps the builder's array as its immutable fields.
        HttpField[] known = KNOWN.get();
        int count = 0;
        long contentLength = -1;
        HostPortHttpField host = null;
        HttpFields.Mutable fields;
        try
        {
            for (int i = 0; i < Layout.HttpHeaderRequestMaximum; i++)
            {
                HttpField field = cache == null ? null : cache[i];
                if (field == null || !view.knownHeaderIs(i, field.getValue()))
                {
                    String value = view.knownHeader(i);
                    if (value == null)
                        continue;
                    field = i == Layout.HttpHeaderHost ? hostField(value) : new HttpField(Layout.requestHeaderName(i), value);
                    if (cache != null)
                        cache[i] = field;
                }
                if (i == Layout.HttpHeaderHost)
                    host = (HostPortHttpField)field;
                known[count++] = field;
                if (i == Layout.HttpHeaderContentLength)
                    contentLength = contentLength(field.getValue());
            }
            fields = HttpFields.build(count + view.unknownHeaderCount());
            for (int k = 0; k < count; k++)
                fields.add(known[k]);
        }
        finally
        {
            java.util.Arrays.fill(known, 0, count, null);
        }
        for (int i = 0; i < view.unknownHeaderCount(); i++)
            fields.add(view.unknownHeaderName(i), view.unknownHeaderValue(i));
        if (version == HttpVersion.HTTP_2 || version == HttpVersion.HTTP_3)
            multiplexed(fields);

        String scheme = view.isSecure() ? "https" : "http";
        HttpURI.Mutable uri = HttpURI.build();
        String raw = view.rawUrl();
        if (raw == null || raw.isEmpty())
            throw badRequest("No URI");
        if (raw.startsWith("/") || "*".equals(raw))
        {
            uri.pathQuery(raw);
            HostPort authority = host != null ? host.getHostPort() : new HostPort(view.cookedHost());
            uri.scheme(scheme).host(authority.getHost()).port(authority.getPort());
        }
        else
        {
            // Absolute form: its authority wins over Host (RFC 9112 §3.2.2).
            HttpURI absolute;
            try
            {
                absolute = HttpURI.from(raw);
            }
            catch (IllegalArgumentException x)
            {
                throw badRequest("Bad URI", x);
            }
            if (absolute.getHost() == null)
                throw badRequest("Bad URI");
            String pathQuery = absolute.getPathQuery();
            uri.pathQuery(pathQuery == null || pathQuery.isEmpty() ? "/" : pathQuery);
            uri.scheme(scheme).host(absolute.getHost()).port(absolute.getPort());
        }
        if (!"*".equals(raw) && uri.getCanonicalPath() == null)
            throw badRequest("Bad URI");
        if (uri.hasViolations())
        {
            UriCompliance compliance = config == null ? UriCompliance.DEFAULT : config.getUriCompliance();
            for (UriCompliance.Violation v : uri.getViolations())
            {
                if (!compliance.allows(v))
                    throw badRequest("Ambiguous URI");
            }
        }
        return new MetaData.Request(System.nanoTime(), view.method(), uri, version, fields, contentLength);
    }

    /**
     * An HTTP/2 or HTTP/3 request as Jetty's own HTTP/2 server gives it: HTTP.sys adds
     * {@code Transfer-Encoding: chunked} to a body without a length for HTTP/1.1 compatibility (F-155),
     * which is not a field of these protocols, so it goes; a connection-specific field the client sent
     * makes the request malformed (RFC 9113 §8.2.2), and upgrades do not exist there (RFC 9113 §8.6):
     * 400, with no upgrade attempted.
     */
    private static void multiplexed(HttpFields.Mutable fields)
    {
        String te = fields.get(HttpHeader.TRANSFER_ENCODING);
        if (te != null && te.trim().equalsIgnoreCase("chunked"))
            fields.remove(HttpHeader.TRANSFER_ENCODING);
        if (fields.contains(HttpHeader.CONNECTION) || fields.contains(HttpHeader.UPGRADE) || fields.contains(HttpHeader.KEEP_ALIVE) ||
            fields.contains(HttpHeader.PROXY_CONNECTION) || fields.contains(HttpHeader.TRANSFER_ENCODING))
            throw badRequest("Connection-specific field in an HTTP/2 request");
    }

    /**
     * @return true when the request asks to close the connection after its response: a {@code close}
     * token in {@code Connection} (tokens, not substrings), or HTTP/1.0 without {@code keep-alive}
     */
    static boolean wantsClose(MetaData.Request request, HttpVersion version)
    {
        if (version == HttpVersion.HTTP_1_0)
            return true; // F-62: HTTP.sys keeps no HTTP/1.0 connection alive
        HttpField connection = request.getHttpFields().getField(HttpHeader.CONNECTION);
        return connection != null && connection.contains(HttpHeaderValue.CLOSE.asString());
    }

    private static HostPortHttpField hostField(String value)
    {
        try
        {
            HostPortHttpField f = new HostPortHttpField(value);
            if (f.getHost() == null || f.getHost().isEmpty())
                throw badRequest("Bad Host");
            return f;
        }
        catch (IllegalArgumentException x)
        {
            throw badRequest("Bad Host", x);
        }
    }

    /** One non-negative decimal length; HTTP.sys folds repeated fields into "5, 5" (F-181), which Jetty rejects too. */
    private static long contentLength(String value)
    {
        String v = value.trim();
        if (v.isEmpty() || v.length() > 18)
            throw badRequest("Invalid Content-Length Value");
        for (int i = 0; i < v.length(); i++)
        {
            char c = v.charAt(i);
            if (c < '0' || c > '9')
                throw badRequest(v.indexOf(',') >= 0 ? "Multiple Content-Lengths" : "Invalid Content-Length Value");
        }
        return Long.parseLong(v);
    }

    private static HttpException.RuntimeException badRequest(String reason)
    {
        return new HttpException.RuntimeException(HttpStatus.BAD_REQUEST_400, reason);
    }

    private static HttpException.RuntimeException badRequest(String reason, Throwable cause)
    {
        return new HttpException.RuntimeException(HttpStatus.BAD_REQUEST_400, reason, cause);
    }
}
