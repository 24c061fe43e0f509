package io.github.jettyhttpsys.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/**
 * Writes docs/benchmarks.md and the PNG from one run's results (key=value lines by run.sh).
 */
public class Report
{
    static final String[] PEERS = {"jetty", "httpsys", "raw"};
    static final String[] PEER_NAMES = {"ServerConnector", "HttpSysConnector (emulator)", "raw C (emulator)"};
    static final String[][] SCENARIOS = {
        {"s1", "1. small GET, keep-alive (wrk -c50)"},
        {"s2", "2. small GET, Connection: close (wrk -c50)"},
        {"s3", "3. 1 MiB download (wrk -c8)"},
        {"s4", "4. 1 MiB upload (wrk -c8)"}};

    static final String[] SHORT = {"keep-alive GET", "close GET", "1 MiB down", "1 MiB up"};

    public static void main(String[] args) throws Exception
    {
        Map<String, String> r = new LinkedHashMap<>();
        for (String l : Files.readAllLines(Path.of(args[0])))
        {
            int eq = l.indexOf('=');
            if (eq > 0)
                r.put(l.substring(0, eq), l.substring(eq + 1));
        }
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Written by `benchmarks/run.sh` from one run; ratios, measured side by side on the same machine, carry the result. ")
            .append("The peers of a comparison are up at once and take turns, a few rounds each in a different order (the mode line); ")
            .append("a peer's requests/s and latencies are those of its median round, its CPU and allocation per request the totals over all its rounds.\n\n");
        md.append("| | |\n|---|---|\n");
        for (String k : List.of("date", "cpu", "memory", "java", "wrk", "mode"))
            md.append("| ").append(k).append(" | ").append(r.getOrDefault("meta." + k, "?")).append(" |\n");
        md.append("\nPeers: the same servlet app behind Jetty 12.1 `ServerConnector` and behind `HttpSysConnector` on the emulator, and a raw C ");
        md.append("server written directly against the HTTP Server API on the same emulator (`benchmarks/src/main/c/rawserver.c`), the ceiling of any binding. ");
        md.append("Load from `wrk` in its own process. On this Linux machine HTTP.sys itself is the emulator: the emulator's cost is in both the HttpSys and the raw C figures, except where a figure takes it out (CPU per request).\n\n");
        for (String[] sc : SCENARIOS)
        {
            md.append("## ").append(sc[1]).append("\n\n| peer | requests/s | p50 | p99 |\n|---|---:|---:|---:|\n");
            for (int i = 0; i < PEERS.length; i++)
            {
                String p = PEERS[i] + "." + sc[0];
                md.append("| ").append(PEER_NAMES[i]).append(" | ").append(r.getOrDefault(p + ".rps", "-")).append(" | ")
                    .append(r.getOrDefault(p + ".p50", "-")).append(" | ").append(r.getOrDefault(p + ".p99", "-")).append(" |\n");
            }
            md.append("\nRatio HttpSys / ServerConnector: **").append(ratio(r, "httpsys." + sc[0] + ".rps", "jetty." + sc[0] + ".rps"))
                .append("**; HttpSys / raw C: **").append(ratio(r, "httpsys." + sc[0] + ".rps", "raw." + sc[0] + ".rps")).append("**");
            String errs = r.get("httpsys." + sc[0] + ".errors");
            if (errs != null)
                md.append(" (HttpSys: ").append(errs).append(")");
            md.append("\n\n");
            rounds(md, r, sc[0], PEERS, PEER_NAMES);
            if (sc[0].equals("s1"))
                md.append("Per keep-alive GET on HttpSys: **").append(r.getOrDefault("httpsys.s1.nativeCallsPerRequest", "?"))
                    .append("** native HTTP Server API calls (emulator call counters; completion-port calls aside) and **")
                    .append(r.getOrDefault("httpsys.s1.allocatedBytesPerRequest", "?")).append("** bytes of Java allocation (ThreadMXBean over the run); ServerConnector allocates **")
                    .append(r.getOrDefault("jetty.s1.allocatedBytesPerRequest", "?"))
                    .append("** bytes per GET of the same app, most of it the request and servlet objects both connectors make.\n\n");
            if (sc[0].equals("s1"))
                cpu(md, r);
        }
        md.append("## 5. Idle keep-alive connections\n\n| peer | connections | Java heap per connection (bytes) | native heap (malloc) per connection (bytes) | emulator bytes buffered per connection | process RSS per connection (bytes) |\n|---|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < 2; i++)
            md.append("| ").append(PEER_NAMES[i]).append(" | ").append(r.getOrDefault(PEERS[i] + ".idle.connections", "-")).append(" | ")
                .append(r.getOrDefault(PEERS[i] + ".idle.heapPerConnection", "-")).append(" | ")
                .append(r.getOrDefault(PEERS[i] + ".idle.nativeHeapPerConnection", "-")).append(" | ")
                .append(r.getOrDefault(PEERS[i] + ".idle.emuBufferedPerConnection", "-")).append(" | ")
                .append(r.getOrDefault(PEERS[i] + ".idle.rssPerConnection", "-")).append(" |\n");
        md.append("\nHttpSys: an idle keep-alive connection is held by HTTP.sys; the connector keeps its connection object and its one pending disconnect wait (a 48-byte native block). ");
        md.append("Java heap and native heap are apart: the native heap is glibc's malloc in use (mallinfo2), which for HttpSys is the emulator's connection state (HTTP.sys's, in the kernel on Windows) and the connector's native blocks, and for ServerConnector the JDK's socket state. ");
        md.append("Emulator bytes: the increase of the emulator's own counter of bytes held in connection and body buffers (received input ")
            .append("not yet parsed, output not yet sent, request bodies), divided by the ")
            .append(r.getOrDefault("httpsys.idle.emuConnections", "?")).append(" connections it counts as opened: data HTTP.sys would hold in the kernel ")
            .append("for the application. It counts data, not the capacity allocated or the connection's own structures, so an idle connection ")
            .append("that has sent its response holds none. The emulator runs in the server's process: all its memory is also in the RSS.\n\n");
        md.append("## 6. Disconnect detection: client RST → `AsyncListener.onError`\n\n| peer | detected | p50 (µs) | p99 (µs) | max (µs) |\n|---|---:|---:|---:|---:|\n");
        for (int i = 0; i < 2; i++)
            md.append("| ").append(PEER_NAMES[i]).append(" | ").append(r.getOrDefault(PEERS[i] + ".disconnect.count", "-")).append(" | ")
                .append(r.getOrDefault(PEERS[i] + ".disconnect.p50us", "-")).append(" | ").append(r.getOrDefault(PEERS[i] + ".disconnect.p99us", "-"))
                .append(" | ").append(r.getOrDefault(PEERS[i] + ".disconnect.maxus", "-")).append(" |\n");
        md.append("\nClient and server stamp the realtime clock (µs) of the same machine. ServerConnector does not read a connection whose request is held async, so it does not see these disconnects at all (detected 0).\n\n");
        md.append("## 7. Long polls dropped at once\n\n| peer | notified | time until every onError fired (µs) |\n|---|---:|---:|\n");
        for (int i = 0; i < 2; i++)
            md.append("| ").append(PEER_NAMES[i]).append(" | ").append(r.getOrDefault(PEERS[i] + ".burst.count", "-")).append(" | ")
                .append(r.getOrDefault(PEERS[i] + ".burst.allNotifiedMicros", "-")).append(" |\n");
        md.append("\nThe polls arrive on their connections within a fraction of a second, faster than the application receives them, so HttpSys ")
            .append("runs with a request queue of 10000 (`setRequestQueueLength`), as an application expecting thousands of simultaneous ")
            .append("requests would set it: with HTTP.sys's default of 1000, the requests beyond what the queue holds are reset (F-94).\n");
        md.append("\n## 8. small GET over TLS, keep-alive (wrk -c50)\n\n| peer | requests/s | p50 | p99 |\n|---|---:|---:|---:|\n");
        String[][] tlsPeers = {{"jetty-tls", "ServerConnector + SslConnectionFactory (JSSE)"}, {"httpsys-tls", "HttpSysConnector, TLS by HTTP.sys (emulator: OpenSSL)"},
            {"raw-tls", "raw C, TLS by HTTP.sys (emulator: OpenSSL)"}};
        for (String[] p : tlsPeers)
            md.append("| ").append(p[1]).append(" | ").append(r.getOrDefault(p[0] + ".s5.rps", "-")).append(" | ")
                .append(r.getOrDefault(p[0] + ".s5.p50", "-")).append(" | ").append(r.getOrDefault(p[0] + ".s5.p99", "-")).append(" |\n");
        md.append("\nRatio HttpSys / ServerConnector over TLS: **").append(ratio(r, "httpsys-tls.s5.rps", "jetty-tls.s5.rps")).append("**")
            .append("; HttpSys / raw C: **").append(ratio(r, "httpsys-tls.s5.rps", "raw-tls.s5.rps")).append("**")
            .append(failures(r, "jetty-tls.s5", "httpsys-tls.s5", "raw-tls.s5")).append("\n\n");
        rounds(md, r, "s5", new String[]{"jetty-tls", "httpsys-tls", "raw-tls"}, new String[]{"JSSE", "HttpSys", "raw C"});
        md.append("## 9. small GET over HTTP/2 (h2load -c10 -m10)\n\n| peer | requests/s | mean time per request |\n|---|---:|---:|\n");
        String[][] h2Peers = {{"jetty-h2", "ServerConnector + ALPN + HTTP2ServerConnectionFactory"}, {"httpsys-h2", "HttpSysConnector, HTTP/2 by HTTP.sys (emulator: nghttp2)"},
            {"raw-h2", "raw C, HTTP/2 by HTTP.sys (emulator: nghttp2)"}};
        for (String[] p : h2Peers)
            md.append("| ").append(p[1]).append(" | ").append(r.getOrDefault(p[0] + ".s6.rps", "-")).append(" | ")
                .append(r.getOrDefault(p[0] + ".s6.mean", "-")).append(" |\n");
        md.append("\nRatio HttpSys / Jetty's own HTTP/2: **").append(ratio(r, "httpsys-h2.s6.rps", "jetty-h2.s6.rps")).append("**")
            .append("; HttpSys / raw C: **").append(ratio(r, "httpsys-h2.s6.rps", "raw-h2.s6.rps")).append("**")
            .append(failures(r, "jetty-h2.s6", "httpsys-h2.s6", "raw-h2.s6")).append("\n\n");
        rounds(md, r, "s6", new String[]{"jetty-h2", "httpsys-h2", "raw-h2"}, new String[]{"Jetty's HTTP/2", "HttpSys", "raw C"});
        cached(md, r);
        md.append("\n## Targets\n\n| target | measured |\n|---|---|\n");
        md.append("| keep-alive GET ≥ 1.0× ServerConnector | ").append(ratio(r, "httpsys.s1.rps", "jetty.s1.rps")).append(" |\n");
        md.append("| keep-alive GET ≥ 0.6× raw C | ").append(ratio(r, "httpsys.s1.rps", "raw.s1.rps")).append(" |\n");
        md.append("| ≤ 2 native calls per keep-alive GET | ").append(r.getOrDefault("httpsys.s1.nativeCallsPerRequest", "?")).append(" |\n");
        md.append("| JVM CPU per keep-alive GET ≤ 0.7× ServerConnector | ").append(ratio(r, "httpsys.s1.cpuPerRequestUs", "jetty.s1.cpuPerRequestUs")).append(" |\n");
        md.append("| Java allocation per keep-alive GET ≤ 2 KB | ").append(r.getOrDefault("httpsys.s1.allocatedBytesPerRequest", "?"))
            .append(" B (ServerConnector: ").append(r.getOrDefault("jetty.s1.allocatedBytesPerRequest", "?")).append(" B) |\n");
        md.append("| 1 MiB download ≥ 0.9× ServerConnector | ").append(ratio(r, "httpsys.s3.rps", "jetty.s3.rps")).append(" |\n");
        md.append("| 1 MiB upload ≥ 0.9× ServerConnector | ").append(ratio(r, "httpsys.s4.rps", "jetty.s4.rps")).append(" |\n");
        md.append("| cacheable GET ≥ 0.9× raw C | ").append(ratio(r, "httpsys.s7.rps", "raw.s7.rps")).append(" |\n");
        md.append("| keep-alive GET over TLS ≥ 1.0× Jetty's own TLS | ").append(ratio(r, "httpsys-tls.s5.rps", "jetty-tls.s5.rps")).append(" |\n");
        md.append("| GET over HTTP/2 ≥ 1.0× Jetty's own HTTP/2 | ").append(ratio(r, "httpsys-h2.s6.rps", "jetty-h2.s6.rps")).append(" |\n");
        md.append("| disconnect detection p99 ≤ 10 ms | ").append(r.getOrDefault("httpsys.disconnect.p99us", "?")).append(" µs |\n");
        md.append("| all 5,000 long polls notified within 1 s | ").append(r.getOrDefault("httpsys.burst.allNotifiedMicros", "?")).append(" µs for ")
            .append(r.getOrDefault("httpsys.burst.count", "?")).append(" |\n");
        md.append("| ≤ 2 KB per idle connection | heap ").append(r.getOrDefault("httpsys.idle.heapPerConnection", "?")).append(" B, native heap ")
            .append(r.getOrDefault("httpsys.idle.nativeHeapPerConnection", "?")).append(" B, emulator buffered ")
            .append(r.getOrDefault("httpsys.idle.emuBufferedPerConnection", "?")).append(" B, RSS ")
            .append(r.getOrDefault("httpsys.idle.rssPerConnection", "?")).append(" B |\n");
        md.append("\n![throughput and latency](benchmarks.png)\n");
        Files.writeString(Path.of(args[1]), md.toString());
        plot(r, new File(args[2]));
    }

    /** Section 1's CPU per request: the JVM's own against ServerConnector's whole process. */
    static void cpu(StringBuilder md, Map<String, String> r)
    {
        md.append("CPU per keep-alive GET (µs):\n\n| peer | server's own code | emulator (HTTP.sys's stand-in) |\n|---|---:|---:|\n");
        md.append("| ServerConnector (whole process) | ").append(r.getOrDefault("jetty.s1.cpuPerRequestUs", "-")).append(" | - |\n");
        md.append("| HttpSysConnector (JVM: process less emulator threads) | ").append(r.getOrDefault("httpsys.s1.cpuPerRequestUs", "-"))
            .append(" | ").append(r.getOrDefault("httpsys.s1.emuCpuPerRequestUs", "-")).append(" |\n");
        md.append("| raw C (process less emulator threads) | ").append(r.getOrDefault("raw.s1.cpuPerRequestUs", "-"))
            .append(" | ").append(r.getOrDefault("raw.s1.emuCpuPerRequestUs", "-")).append(" |\n");
        md.append("\nRatio HttpSys JVM-own / ServerConnector whole process: **").append(ratio(r, "httpsys.s1.cpuPerRequestUs", "jetty.s1.cpuPerRequestUs"))
            .append("** (target ≤ 0.7×). ");
        md.append("User plus system time of the server process over its rounds (/proc/self/stat, 10 ms clock ticks: fine over seconds of CPU), ")
            .append("divided by the requests wrk completed in them; wrk runs in its own process and is not counted. A JVM's figure includes its ")
            .append("garbage collector and JIT compiler threads; each JVM peer first serves every scenario's load for the warm-up the mode line gives, so the ")
            .append("JIT compiler has compiled the request paths before the rounds are measured (a quick run, warmed up less, shows more of it). ");
        md.append("The emulator's part is the time of its threads (named `httpemu*`, its network thread `httpemu-net`: sockets, parsing, ")
            .append("queuing, writes; from /proc/self/task/*/stat). It stands for HTTP.sys, that is for the kernel, whose work on Windows is not ")
            .append("the JVM's, so it is taken out of the JVM's figure; ServerConnector's figure keeps its own socket system calls. ")
            .append("What the emulator does on the JVM's threads inside API calls stays in the JVM's figure, as a system call's cost does.\n\n");
    }

    /** The cacheable GET: HTTP.sys may answer it from its response cache, without the application. */
    static void cached(StringBuilder md, Map<String, String> r)
    {
        md.append("## 10. Cacheable GET (kernel response cache) (wrk -c50)\n\n| peer | requests/s | p50 | p99 |\n|---|---:|---:|---:|\n");
        for (int i = 0; i < PEERS.length; i++)
        {
            String p = PEERS[i] + ".s7";
            md.append("| ").append(PEER_NAMES[i]).append(" | ").append(r.getOrDefault(p + ".rps", "-")).append(" | ")
                .append(r.getOrDefault(p + ".p50", "-")).append(" | ").append(r.getOrDefault(p + ".p99", "-")).append(" |\n");
        }
        md.append("\nRatio HttpSys / raw C: **").append(ratio(r, "httpsys.s7.rps", "raw.s7.rps")).append("** (target ≥ 0.9×); HttpSys / ServerConnector: **")
            .append(ratio(r, "httpsys.s7.rps", "jetty.s7.rps")).append("**");
        String errs = r.get("httpsys.s7.errors");
        if (errs != null)
            md.append(" (HttpSys: ").append(errs).append(")");
        md.append("\n\n");
        rounds(md, r, "s7", PEERS, PEER_NAMES);
        md.append("Requests that reached the application: HttpSys **").append(r.getOrDefault("httpsys.s7.appRequests", "?")).append("** of ")
            .append(r.getOrDefault("httpsys.s7.requests", "?")).append(", ServerConnector ").append(r.getOrDefault("jetty.s7.appRequests", "?"))
            .append(" of ").append(r.getOrDefault("jetty.s7.requests", "?")).append(".\n\n");
        md.append("`GET /cached` answers `hello` with `Cache-Control: public, max-age=60`; the raw C server sends it with a time-to-live cache ")
            .append("policy of 60 s. HTTP.sys may keep such a response and answer later requests for the URL itself, without the request reaching ")
            .append("the application: then HttpSys should match raw C. The application's count is servlet calls over the run; wrk counts only the ")
            .append("responses completed before it stopped, so the application may count a few more.\n\n");
    }

    /**
     * A ratio is only worth something when both peers answered 2xx: any peer whose load tool counted failed
     * responses is named with its count (h2load prints "0 failed, 0 errored" when all succeeded).
     */
    private static String failures(Map<String, String> r, String... runs)
    {
        StringBuilder b = new StringBuilder();
        for (String run : runs)
        {
            String errs = r.get(run + ".errors");
            if (errs != null && !errs.startsWith("0 failed, 0 errored"))
                b.append(b.length() == 0 ? " (NOT COMPARABLE: " : "; ").append(run).append(": ").append(errs);
        }
        return b.length() == 0 ? "" : b.append(")").toString();
    }

    /** Each peer's requests/s round by round (in the order the rounds ran), whose median the table gives. */
    static void rounds(StringBuilder md, Map<String, String> r, String sc, String[] peers, String[] names)
    {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < peers.length; i++)
        {
            String v = r.get(peers[i] + "." + sc + ".roundRps");
            if (v != null)
                b.append(b.length() == 0 ? "" : "; ").append(names[i]).append(' ').append(v);
        }
        if (b.length() > 0)
            md.append("Requests/s by round: ").append(b).append(".\n\n");
    }

    static String ratio(Map<String, String> r, String a, String b)
    {
        try
        {
            return String.format("%.2f×", Double.parseDouble(r.get(a)) / Double.parseDouble(r.get(b)));
        }
        catch (RuntimeException x)
        {
            return "?";
        }
    }

    static double num(Map<String, String> r, String k)
    {
        String v = r.get(k);
        if (v == null)
            return 0;
        try
        {
            if (v.endsWith("ms"))
                return Double.parseDouble(v.substring(0, v.length() - 2));
            if (v.endsWith("us"))
                return Double.parseDouble(v.substring(0, v.length() - 2)) / 1000;
            if (v.endsWith("s"))
                return Double.parseDouble(v.substring(0, v.length() - 1)) * 1000;
            return Double.parseDouble(v);
        }
        catch (NumberFormatException x)
        {
            return 0;
        }
    }

    /** Two panels: requests/s per scenario and peer; p99 latency (ms) per scenario and peer. */
    static void plot(Map<String, String> r, File out) throws Exception
    {
        int w = 1200, h = 520;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        Color[] colors = {new Color(0x8c, 0x9b, 0xab), new Color(0x1f, 0x6f, 0xeb), new Color(0xd9, 0x6c, 0x1e)};
        panel(g, r, 20, "requests/s (higher is better)", ".rps", colors);
        panel(g, r, 610, "p99 latency, ms (lower is better)", ".p99", colors);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i < PEERS.length; i++)
        {
            g.setColor(colors[i]);
            g.fillRect(30 + i * 260, h - 28, 14, 14);
            g.setColor(Color.DARK_GRAY);
            g.drawString(PEER_NAMES[i], 50 + i * 260, h - 16);
        }
        g.dispose();
        ImageIO.write(img, "png", out);
    }

    static void panel(Graphics2D g, Map<String, String> r, int x0, String title, String metric, Color[] colors)
    {
        int pw = 570, ph = 400, top = 50;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, x0 + 10, 30);
        double max = 1;
        for (String[] sc : SCENARIOS)
            for (String p : PEERS)
                max = Math.max(max, num(r, p + "." + sc[0] + metric));
        g.setStroke(new BasicStroke(1));
        g.setColor(Color.LIGHT_GRAY);
        g.drawLine(x0 + 40, top + ph, x0 + pw, top + ph);
        int group = (pw - 60) / SCENARIOS.length;
        int bar = group / 4;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int s = 0; s < SCENARIOS.length; s++)
        {
            int gx = x0 + 50 + s * group;
            for (int p = 0; p < PEERS.length; p++)
            {
                double v = num(r, PEERS[p] + "." + SCENARIOS[s][0] + metric);
                int bh = (int)(v / max * (ph - 20));
                g.setColor(colors[p]);
                g.fillRect(gx + p * bar, top + ph - bh, bar - 4, bh);
                g.setColor(Color.DARK_GRAY);
                String label = v >= 100 ? String.format("%.0f", v) : String.format("%.2f", v);
                g.drawString(label, gx + p * bar, top + ph - bh - 4);
            }
            g.setColor(Color.BLACK);
            g.drawString(SHORT[s], gx, top + ph + 16);
        }
    }
}
