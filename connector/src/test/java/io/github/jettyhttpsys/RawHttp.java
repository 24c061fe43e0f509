package io.github.jettyhttpsys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A raw HTTP/1.1 client for protocol tests: writes bytes as given and parses exactly the responses
 * the requests ask for, by RFC 9112's message-length rules, so a byte the server should not have
 * sent shows up as a broken next response instead of being hidden by a forgiving client.
 */
final class RawHttp
{
    private RawHttp()
    {
    }

    /** One parsed response. */
    static final class Response
    {
        final String statusLine;
        final int status;
        final List<String[]> headers = new ArrayList<>();
        final List<String[]> trailers = new ArrayList<>();
        byte[] body = new byte[0];

        Response(String statusLine)
        {
            this.statusLine = statusLine;
            String[] parts = statusLine.split(" ", 3);
            this.status = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        }

        String header(String name)
        {
            for (String[] h : headers)
                if (h[0].equalsIgnoreCase(name))
                    return h[1];
            return null;
        }

        List<String> headers(String name)
        {
            List<String> values = new ArrayList<>();
            for (String[] h : headers)
                if (h[0].equalsIgnoreCase(name))
                    values.add(h[1]);
            return values;
        }

        String trailer(String name)
        {
            for (String[] h : trailers)
                if (h[0].equalsIgnoreCase(name))
                    return h[1];
            return null;
        }

        String body()
        {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString()
        {
            StringBuilder b = new StringBuilder(statusLine);
            for (String[] h : headers)
                b.append(" | ").append(h[0]).append(": ").append(h[1]);
            return b.append(" | body=").append(body()).toString();
        }
    }

    /** What a connection gave back: the responses parsed, and what came after them. */
    static final class Exchange
    {
        final List<Response> responses = new ArrayList<>();
        /** Bytes received after the last expected response (should be none). */
        byte[] trailing = new byte[0];
        /** The server closed (FIN) after the responses. */
        boolean closed;
        /** The connection was reset or failed before every expected response arrived. */
        IOException failure;

        Response get(int i)
        {
            if (i >= responses.size())
                throw new AssertionError("response " + i + " missing: " + this);
            return responses.get(i);
        }

        @Override
        public String toString()
        {
            return "responses=" + responses + " trailing=" + new String(trailing, StandardCharsets.ISO_8859_1).replace("\r\n", "\\r\\n") +
                " closed=" + closed + " failure=" + failure;
        }
    }

    /**
     * Sends {@code request} (one or several pipelined requests) and parses one response per entry of
     * {@code methods}; then waits up to {@code settleMs} for anything else the server sends, or its close
     * (not at all for 0).
     */
    static Exchange exchange(int port, String request, List<String> methods, int settleMs) throws IOException
    {
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return read(s, methods, settleMs);
        }
    }

    static Exchange read(Socket s, List<String> methods, int settleMs) throws IOException
    {
        Exchange x = new Exchange();
        Reader in = new Reader(s.getInputStream());
        try
        {
            for (String method : methods)
            {
                Response r = readResponse(in, method);
                if (r == null)
                {
                    x.closed = true;
                    return x;
                }
                x.responses.add(r);
            }
            if (settleMs <= 0)
                return x; // the caller goes on with the connection
            int timeout = s.getSoTimeout();
            s.setSoTimeout(settleMs);
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            try
            {
                int b;
                while ((b = in.read()) >= 0)
                    rest.write(b);
                x.closed = true;
            }
            catch (SocketTimeoutException stillOpen)
            {
                s.setSoTimeout(timeout);
            }
            x.trailing = rest.toByteArray();
        }
        catch (IOException e)
        {
            x.failure = e;
        }
        return x;
    }

    static Response readResponse(Reader in, String method) throws IOException
    {
        while (true)
        {
            String line = in.line();
            if (line == null)
                return null;
            Response r = new Response(line);
            if (!line.startsWith("HTTP/1."))
                throw new IOException("not a status line: " + line);
            String h;
            while (!(h = in.required()).isEmpty())
            {
                int colon = h.indexOf(':');
                r.headers.add(colon < 0 ? new String[]{h, ""} : new String[]{h.substring(0, colon), h.substring(colon + 1).trim()});
            }
            if (r.status == 100)
                continue; // interim
            if ("HEAD".equals(method) || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304)
                return r;
            String te = r.header("Transfer-Encoding");
            String cl = r.header("Content-Length");
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked"))
            {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                while (true)
                {
                    String size = in.line();
                    if (size == null)
                        throw new IOException("connection ended inside a chunked body");
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0)
                        break;
                    body.write(in.bytes(n));
                    if (!in.required().isEmpty())
                        throw new IOException("chunk not followed by CRLF");
                }
                String t;
                while (!(t = in.required()).isEmpty())
                {
                    int colon = t.indexOf(':');
                    r.trailers.add(new String[]{t.substring(0, colon), t.substring(colon + 1).trim()});
                }
                r.body = body.toByteArray();
            }
            else if (cl != null)
            {
                r.body = in.bytes(Integer.parseInt(cl.trim()));
            }
            else
            {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) >= 0)
                    body.write(b);
                r.body = body.toByteArray();
            }
            return r;
        }
    }

    /** Buffered byte reader that keeps unread bytes for the next response. */
    static final class Reader
    {
        private final InputStream _in;

        Reader(InputStream in)
        {
            _in = new java.io.BufferedInputStream(in);
        }

        int read() throws IOException
        {
            return _in.read();
        }

        String line() throws IOException
        {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = _in.read()) >= 0)
            {
                if (c == '\n')
                {
                    int len = b.length();
                    if (len > 0 && b.charAt(len - 1) == '\r')
                        b.setLength(len - 1);
                    return b.toString();
                }
                b.append((char)c);
            }
            if (b.length() == 0)
                return null;
            throw new IOException("connection ended inside a line: " + b);
        }

        /** A line the message must still have: the connection ending before it is a failure. */
        String required() throws IOException
        {
            String line = line();
            if (line == null)
                throw new IOException("connection ended inside a response");
            return line;
        }

        byte[] bytes(int n) throws IOException
        {
            byte[] out = _in.readNBytes(n);
            if (out.length < n)
                throw new IOException("connection ended after " + out.length + " of " + n + " body bytes");
            return out;
        }
    }
}
