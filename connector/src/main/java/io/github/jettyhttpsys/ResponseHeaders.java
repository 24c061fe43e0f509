package io.github.jettyhttpsys;

import java.util.function.Supplier;

import io.github.jettyhttpsys.engine.HeaderList;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * The response head as HTTP.sys is given it, made safe by the rules Jetty's own {@code HttpGenerator}
 * applies, because HTTP.sys applies none of them (F-178…F-182): names and values cleaned of the
 * bytes that would end a header line, no framing header where the status or the method forbids a
 * body, one {@code Content-Length} and one {@code Connection} (known slots only, F-182), and a head
 * that fits both Jetty's configured limit and the API's 16-bit lengths, or a 500 before commit.
 */
final class ResponseHeaders
{
    /** Header name and value lengths are USHORT in HTTP_KNOWN_HEADER / HTTP_UNKNOWN_HEADER. */
    static final int MAX_FIELD_BYTES = 0xFFFF;

    private ResponseHeaders()
    {
    }

    /**
     * @return true when the status forbids a body and the framing headers that announce one
     * (RFC 9110 §6.4.1: 1xx, 204, 304)
     */
    static boolean noBodyStatus(int status)
    {
        return HttpStatus.isInformational(status) || status == HttpStatus.NO_CONTENT_204 || status == HttpStatus.NOT_MODIFIED_304;
    }

    /**
     * @return true when the status forbids even a Content-Length (RFC 9110 §8.6: 1xx and 204)
     */
    static boolean noLengthStatus(int status)
    {
        return HttpStatus.isInformational(status) || status == HttpStatus.NO_CONTENT_204;
    }

    /**
     * @return the largest response head Jetty's own connector sends with this configuration: it
     * starts with {@code responseHeaderSize} and grows once to {@code maxResponseHeaderSize}
     */
    static int maxHeadBytes(HttpConfiguration config)
    {
        if (config == null)
            return 16 * 1024;
        return Math.max(config.getResponseHeaderSize(), config.getMaxResponseHeaderSize());
    }

    /**
     * Builds the header list of a response.
     *
     * @param response the response metadata
     * @param contentLength the Content-Length to announce, or -1 for none (the caller decided framing)
     * @param chunked the connector frames chunks itself
     * @param close the connection closes after this response
     * @param connectionFields the protocol has connection-specific fields (HTTP/1.x); on HTTP/2 and
     *                         HTTP/3 Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding and Upgrade
     *                         are not sent (RFC 9113 §8.2.2, F-156)
     * @param maxHeadBytes the largest head allowed
     * @param headers the list the lines go into, cleared first (a list reused for each response)
     * @return {@code headers}, with the lines cleaned
     * @throws IllegalStateException (as an HttpException with status 500) when the head is too large
     */
    static HeaderList build(MetaData.Response response, long contentLength, boolean chunked, boolean close, boolean connectionFields,
                            int maxHeadBytes, HeaderList headers)
    {
        HttpFields fields = readable(response.getHttpFields());
        int count = fields.size();
        headers.clear();
        int status = response.getStatus();
        String reason = response.getReason();
        // "HTTP/1.1 200 " + reason + CRLF, and the blank line at the end.
        long size = 13 + (reason == null ? 3 : reason.length()) + 2 + 2;
        StringBuilder connection = null;
        for (int i = 0; i < count; i++)
        {
            HttpField f = fields.getField(i);
            HttpHeader h = f.getHeader();
            // Date is HTTP.sys's (F-54); the framing headers are decided by the caller.
            if (h == HttpHeader.DATE || h == HttpHeader.TRANSFER_ENCODING || h == HttpHeader.CONTENT_LENGTH)
                continue;
            if (!connectionFields && (h == HttpHeader.CONNECTION || h == HttpHeader.KEEP_ALIVE || h == HttpHeader.PROXY_CONNECTION ||
                h == HttpHeader.UPGRADE))
                continue;
            String value = f.getValue() == null ? "" : f.getValue();
            if (h == HttpHeader.CONNECTION)
            {
                // One Connection field, in its known slot (F-182): tokens joined.
                connection = connection == null ? new StringBuilder(value) : connection.append(", ").append(value);
                continue;
            }
            size += add(headers, h == null ? f.getName() : h.asString(), value);
        }
        if (close && connectionFields && (connection == null || !new HttpField(HttpHeader.CONNECTION, connection.toString()).contains(HttpHeaderValue.CLOSE.asString())))
            connection = connection == null || connection.length() == 0 ? new StringBuilder("close") : connection.append(", close");
        if (connection != null && connection.length() > 0)
            size += add(headers, HttpHeader.CONNECTION.asString(), connection.toString());
        if (contentLength >= 0 && !noLengthStatus(status))
        {
            headers.addNumber(HttpHeader.CONTENT_LENGTH.asString(), contentLength);
            size += HttpHeader.CONTENT_LENGTH.asString().length() + 2L + headers.valueLength(headers.size() - 1) + 2L;
        }
        if (chunked)
            size += add(headers, HttpHeader.TRANSFER_ENCODING.asString(), HttpHeaderValue.CHUNKED.asString());
        if (size > maxHeadBytes)
            throw tooLarge();
        return headers;
    }

    /**
     * The fields under Jetty's wrappers (a response's {@code ResponseHttpFields}), for reading by index:
     * a wrapper has no {@code getField(int)} of its own and walks an iterator for each, which allocates.
     */
    static HttpFields readable(HttpFields fields)
    {
        while (fields instanceof HttpFields.Mutable.Wrapper wrapper)
            fields = wrapper.getWrapped();
        return fields;
    }

    /** @return whether a Connection field of these says close (as {@code contains(CONNECTION, "close")}), by index */
    static boolean saysClose(HttpFields fields)
    {
        for (int i = 0, n = fields.size(); i < n; i++)
        {
            HttpField f = fields.getField(i);
            if (f.getHeader() == HttpHeader.CONNECTION && f.contains(HttpHeaderValue.CLOSE.asString()))
                return true;
        }
        return false;
    }

    private static long add(HeaderList headers, String name, String value)
    {
        String n = sanitizeName(name);
        String v = sanitizeValue(value);
        if (n.length() > MAX_FIELD_BYTES || v.length() > MAX_FIELD_BYTES)
            throw tooLarge();
        headers.add(n, v);
        return n.length() + 2L + v.length() + 2L;
    }

    /**
     * The last chunk of a chunked response with its trailer section (RFC 9112 §7.1.2), or the plain
     * last chunk when the supplier gives none.
     */
    static String lastChunk(Supplier<HttpFields> trailers)
    {
        HeaderList fields = trailerFields(trailers);
        if (fields.isEmpty())
            return "0\r\n\r\n";
        StringBuilder b = new StringBuilder("0\r\n");
        for (int i = 0; i < fields.size(); i++)
            b.append(fields.name(i)).append(": ").append(fields.value(i)).append("\r\n");
        return b.append("\r\n").toString();
    }

    /**
     * The trailer fields a supplier gives, cleaned, without the framing fields a trailer section may
     * not carry (RFC 9110 §6.5.1); empty when it gives none.
     */
    static HeaderList trailerFields(Supplier<HttpFields> trailers)
    {
        HttpFields fields = trailers == null ? null : trailers.get();
        HeaderList out = new HeaderList(fields == null ? 1 : fields.size());
        if (fields == null)
            return out;
        for (HttpField f : fields)
        {
            HttpHeader h = f.getHeader();
            if (h == HttpHeader.CONTENT_LENGTH || h == HttpHeader.TRANSFER_ENCODING || h == HttpHeader.CONNECTION)
                continue;
            out.add(sanitizeName(f.getName()), sanitizeValue(f.getValue() == null ? "" : f.getValue()));
        }
        return out;
    }

    /**
     * As Jetty's generator writes a field name: a character that cannot be in one line of
     * ISO-8859-1 text, or a colon, becomes '.'.
     */
    static String sanitizeName(String name)
    {
        return sanitize(name, true);
    }

    /**
     * As Jetty's generator writes a field value: CR, LF, NUL and the other control characters but
     * TAB, and characters beyond ISO-8859-1, become a space, so no value can start a new header line.
     */
    static String sanitizeValue(String value)
    {
        return sanitize(value, false);
    }

    private static String sanitize(String s, boolean name)
    {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++)
        {
            char c = s.charAt(i);
            boolean bad = name ? badNameChar(c) : badValueChar(c);
            if (bad && b == null)
                b = new StringBuilder(s.length()).append(s, 0, i);
            if (b != null)
                b.append(bad ? (name ? '.' : ' ') : c);
        }
        return b == null ? s : b.toString();
    }

    private static boolean badNameChar(char c)
    {
        return c == ':' || badValueChar(c);
    }

    private static boolean badValueChar(char c)
    {
        return c > 0xFF || (c < 0x20 && c != '\t');
    }

    private static RuntimeException tooLarge()
    {
        return new org.eclipse.jetty.http.HttpException.RuntimeException(HttpStatus.INTERNAL_SERVER_ERROR_500, "Response Header Fields Too Large");
    }
}
