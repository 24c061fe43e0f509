package io.github.jettyhttpsys.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The client side of scenarios 5-7, run in its own JVM (never in the server's):
 * {@code idle N PORT}, {@code disconnect N PORT}, {@code burst N PORT}. Prints key=value lines.
 */
public class LoadClient
{
    public static void main(String[] args) throws Exception
    {
        int n = Integer.parseInt(args[1]);
        int port = Integer.parseInt(args[2]);
        switch (args[0])
        {
            case "idle" -> idle(n, port);
            case "disconnect" -> disconnect(n, port);
            case "burst" -> burst(n, port);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static String stats(int port, String query) throws Exception
    {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats" + query)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }

    static long stat(String stats, String key)
    {
        for (String l : stats.split("\n"))
        {
            if (l.startsWith(key + " "))
                return Long.parseLong(l.substring(key.length() + 1).trim());
        }
        return -1;
    }

    static Socket open(int port, String request) throws IOException
    {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(30_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    /** Reads until the marker byte arrives (the end of a small response or the parked poll's 'P'). */
    static void readUntil(Socket s, String marker) throws IOException
    {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        byte[] b = new byte[1024];
        while (sb.indexOf(marker) < 0)
        {
            int r = in.read(b);
            if (r < 0)
                throw new IOException("closed before " + marker + ": " + sb);
            sb.append(new String(b, 0, r, StandardCharsets.ISO_8859_1));
        }
    }

    static void rst(Socket s) throws IOException
    {
        s.setSoLinger(true, 0);
        s.close();
    }

    static void idle(int n, int port) throws Exception
    {
        String before = stats(port, "?gc");
        List<Socket> sockets = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
        {
            Socket s = open(port, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
            readUntil(s, "hello");
            sockets.add(s);
        }
        String after = stats(port, "?gc");
        long heap = stat(after, "heap") - stat(before, "heap");
        long rss = stat(after, "rss") - stat(before, "rss");
        System.out.println("idle.connections=" + n);
        System.out.println("idle.heapPerConnection=" + heap / n);
        System.out.println("idle.rssPerConnection=" + rss / n);
        if (stat(before, "nativeheap") >= 0)
            System.out.println("idle.nativeHeapPerConnection=" + (stat(after, "nativeheap") - stat(before, "nativeheap")) / n);
        // HttpSys: what the emulator (HTTP.sys's stand-in, in the server's process) holds for them
        long emuConnections = stat(after, "connections") - stat(before, "connections");
        if (stat(before, "emubuffered") >= 0 && emuConnections > 0)
        {
            long buffered = stat(after, "emubuffered") - stat(before, "emubuffered");
            System.out.println("idle.emuConnections=" + emuConnections);
            System.out.println("idle.emuBufferedPerConnection=" + buffered / emuConnections);
        }
        for (Socket s : sockets)
            s.close();
    }

    static void disconnect(int n, int port) throws Exception
    {
        stats(port, "?reset");
        Map<String, Long> sent = new HashMap<>();
        for (int i = 0; i < n; i++)
        {
            String id = "d" + i;
            Socket s = open(port, "GET /poll?id=" + id + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
            readUntil(s, "P");
            sent.put(id, BenchServer.nowMicros());
            rst(s);
        }
        Map<String, Long> errors = waitErrors(port, n);
        long[] lat = sent.entrySet().stream().filter(e -> errors.containsKey(e.getKey()))
            .mapToLong(e -> errors.get(e.getKey()) - e.getValue()).sorted().toArray();
        System.out.println("disconnect.count=" + lat.length + "/" + n);
        System.out.println("disconnect.p50us=" + pct(lat, 50));
        System.out.println("disconnect.p99us=" + pct(lat, 99));
        System.out.println("disconnect.maxus=" + (lat.length == 0 ? -1 : lat[lat.length - 1]));
    }

    static void burst(int n, int port) throws Exception
    {
        stats(port, "?reset");
        List<Socket> sockets = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            sockets.add(open(port, "GET /poll?id=b" + i + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n"));
        for (Socket s : sockets)
            readUntil(s, "P");
        long t0 = BenchServer.nowMicros();
        for (Socket s : sockets)
            rst(s);
        long t1 = BenchServer.nowMicros();
        Map<String, Long> errors = waitErrors(port, n);
        long last = errors.values().stream().mapToLong(Long::longValue).max().orElse(t0);
        System.out.println("burst.count=" + errors.size() + "/" + n);
        System.out.println("burst.resetMicros=" + (t1 - t0));
        System.out.println("burst.allNotifiedMicros=" + (last - t0));
    }

    static Map<String, Long> waitErrors(int port, int n) throws Exception
    {
        Map<String, Long> errors = new HashMap<>();
        long deadline = System.nanoTime() + Long.getLong("wait.seconds", 30) * 1_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            errors.clear();
            for (String l : stats(port, "?errors").split("\n"))
            {
                if (l.startsWith("err "))
                {
                    String[] f = l.split(" ");
                    errors.put(f[1], Long.parseLong(f[2]));
                }
            }
            if (errors.size() >= n)
                break;
            Thread.sleep(100);
        }
        return errors;
    }

    static long pct(long[] sorted, int p)
    {
        if (sorted.length == 0)
            return -1;
        int i = (int)Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

}
