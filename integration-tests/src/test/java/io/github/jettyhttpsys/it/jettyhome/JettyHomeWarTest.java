package io.github.jettyhttpsys.it.jettyhome;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.Base64;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connector the way jetty-home users run it: the official jetty-home distribution, a jetty-base
 * made with {@code --add-modules=httpsys,ee10-deploy} from the connector's jetty-base archive, the
 * sample WAR in {@code webapps/}, and {@code java -jar start.jar} as a separate process. A client
 * drops out of a long poll and the WAR reports the {@code AsyncListener.onError} it saw; a second
 * context is pinned to the connector with virtual host {@code @httpsys}.
 */
public class JettyHomeWarTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    public void warDeployedInJettyHomeSeesClientDisconnects() throws Exception
    {
        Path home = Path.of(System.getProperty("jetty.home.dist"));
        Path archive = Path.of(System.getProperty("httpsys.jetty.base"));
        Path artifacts = Path.of(System.getProperty("it.artifacts"));
        Path base = Files.createDirectories(Path.of(System.getProperty("it.work"))).resolve("base-" + System.nanoTime());
        copyTree(archive, base); // "unpack the archive into $JETTY_BASE"
        if (!System.getProperty("os.name").startsWith("Windows"))
            Files.copy(artifacts.resolve("jetty-httpsys-emulator.jar"), base.resolve("lib/httpsys/jetty-httpsys-emulator.jar"));
        int port;
        int httpPort;
        try (ServerSocket s = new ServerSocket(0); ServerSocket h = new ServerSocket(0))
        {
            port = s.getLocalPort();
            httpPort = h.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");

        Process add = new ProcessBuilder(java, "-jar", home.resolve("start.jar").toString(), "--add-modules=httpsys,ee10-deploy,ee10-websocket-jakarta,ee11-deploy,ee11-websocket-jakarta,http")
            .directory(base.toFile()).redirectErrorStream(true).redirectOutput(base.resolve("add-modules.log").toFile()).start();
        assertTrue(add.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "start.jar --add-modules did not finish");
        assertEquals(0, add.exitValue(), Files.readString(base.resolve("add-modules.log")));
        Path ini = base.resolve("start.d/httpsys.ini");
        assertTrue(Files.isRegularFile(ini), "start.d/httpsys.ini was not created");
        Files.writeString(ini, Files.readString(ini) + "\njetty.httpsys.urlPrefixes=http://+:" + port + "/\n" +
            "jetty.httpsys.authenticationSchemes=Basic\njetty.httpsys.basicRealm=jetty-home\n");
        // The emulator's stand-in for a Windows account, read by the jetty-home process at load.
        Files.writeString(base.resolve("accounts.txt"), "EMU\\carol:pass-1:EMU\\Staff\n");
        // Jetty's own HTTP connector beside it, to show that the pinned context is HTTP.sys's only.
        Path httpIni = base.resolve("start.d/http.ini");
        Files.writeString(httpIni, Files.readString(httpIni) + "\njetty.http.host=127.0.0.1\njetty.http.port=" + httpPort + "\n");

        Files.copy(artifacts.resolve("sample.war"), base.resolve("webapps/sample.war"), StandardCopyOption.REPLACE_EXISTING);
        // The same WAR once more in the ee11 environment (its WebSocket container too).
        Files.copy(artifacts.resolve("sample.war"), base.resolve("webapps/sample11.war"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(base.resolve("webapps/sample11.properties"), "environment: ee11\n");
        // The same WAR again, pinned to the connector named "httpsys".
        Files.copy(artifacts.resolve("sample.war"), base.resolve("pinned.war"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(base.resolve("webapps/pinned.xml"), """
            <?xml version="1.0"?>
            <!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "https://jetty.org/configure_10_0.dtd">
            <Configure class="org.eclipse.jetty.ee10.webapp.WebAppContext">
              <Set name="contextPath">/pinned</Set>
              <Set name="war"><Property name="jetty.base"/>/pinned.war</Set>
              <Set name="virtualHosts"><Array type="String"><Item>@httpsys</Item></Array></Set>
            </Configure>
            """);
        Files.writeString(base.resolve("webapps/pinned.properties"), "environment: ee10\n");

        ProcessBuilder serverBuilder = new ProcessBuilder(java, "-jar", home.resolve("start.jar").toString());
        serverBuilder.environment().put("HTTPEMU_ACCOUNTS", base.resolve("accounts.txt").toString());
        Process server = serverBuilder
            .directory(base.toFile()).redirectErrorStream(true).redirectOutput(base.resolve("server.log").toFile()).start();
        try
        {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            String hello = awaitOk(client, "http://127.0.0.1:" + port + "/sample/hello", server, base);
            assertTrue(hello.startsWith("hello from /sample"), hello);
            String pinned = awaitOk(client, "http://127.0.0.1:" + port + "/pinned/hello", server, base);
            assertTrue(pinned.startsWith("hello from /pinned"), pinned);
            // Over Jetty's ServerConnector the unpinned WAR answers and the pinned one does not.
            String viaHttp = awaitOk(client, "http://127.0.0.1:" + httpPort + "/sample/hello", server, base);
            assertTrue(viaHttp.startsWith("hello from /sample"), viaHttp);
            HttpResponse<String> notPinned = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/pinned/hello"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, notPinned.statusCode(), "the @httpsys context must not be served by the other connector");

            // The WAR's <auth-method>WINDOWS</auth-method>: HTTP.sys authenticates, Jetty's security sees the user.
            URI who = URI.create("http://127.0.0.1:" + port + "/sample/whoami");
            HttpResponse<String> challenge = client.send(HttpRequest.newBuilder(who).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(401, challenge.statusCode());
            assertEquals("Basic realm=\"jetty-home\"", challenge.headers().firstValue("WWW-Authenticate").orElse(""));
            String credentials = Base64.getEncoder().encodeToString("EMU\\carol:pass-1".getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> carol = client.send(HttpRequest.newBuilder(who).header("Authorization", "Basic " + credentials)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, carol.statusCode(), carol.body());
            assertEquals("EMU\\carol|Basic|staff=true", carol.body());

            // The WAR's jakarta.websocket endpoint, through HTTP.sys's opaque mode.
            CompletableFuture<String> echoed = new CompletableFuture<>();
            WebSocket ws = client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/sample/ws"),
                new WebSocket.Listener()
                {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last)
                    {
                        echoed.complete(data.toString());
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
            ws.sendText("over http.sys", true);
            assertEquals("war:over http.sys", echoed.get(10, TimeUnit.SECONDS));
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
            // and from the ee11 container
            CompletableFuture<String> echoed11 = new CompletableFuture<>();
            WebSocket ws11 = client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/sample11/ws"),
                new WebSocket.Listener()
                {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last)
                    {
                        echoed11.complete(data.toString());
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
            ws11.sendText("ee11", true);
            assertEquals("war:ee11", echoed11.get(10, TimeUnit.SECONDS));
            ws11.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);

            // A long poll whose client vanishes (RST) in the middle.
            try (Socket s = new Socket("127.0.0.1", port))
            {
                s.getOutputStream().write(("GET /sample/poll HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                // Fence: the WAR counts the polls it has parked.
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (awaitOk(client, "http://127.0.0.1:" + port + "/sample/parked", server, base).startsWith("0") && System.nanoTime() < deadline)
                    Thread.sleep(20);
                s.setSoLinger(true, 0);
            }
            String errors = "";
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline)
            {
                errors = awaitOk(client, "http://127.0.0.1:" + port + "/sample/errors", server, base);
                if (!errors.startsWith("0"))
                    break;
                Thread.sleep(50);
            }
            assertTrue(errors.startsWith("1\n") && errors.contains("onError org.eclipse.jetty.io.EofException"), errors);
        }
        finally
        {
            stop(server);
        }
        assertTrue(Files.readString(base.resolve("server.log")).contains("HttpSysConnector"), "connector did not start");
    }

    private static String awaitOk(HttpClient client, String url, Process server, Path base) throws Exception
    {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline)
        {
            if (!server.isAlive())
                throw new AssertionError("jetty-home server exited: " + Files.readString(base.resolve("server.log")));
            try
            {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200)
                    return r.body();
                last = new IOException("status " + r.statusCode());
            }
            catch (IOException x)
            {
                last = x;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no 200 from " + url + ": " + last + "\n" + Files.readString(base.resolve("server.log")));
    }

    /** A clean stop (SIGTERM runs Jetty's shutdown hook), then no process left behind. */
    private static void stop(Process server) throws InterruptedException
    {
        List<ProcessHandle> all = new ArrayList<>(server.descendants().toList());
        server.destroy();
        if (!server.waitFor(30, TimeUnit.SECONDS))
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle h : all)
        {
            h.destroy();
            h.onExit().orTimeout(10, TimeUnit.SECONDS);
        }
        assertTrue(!server.isAlive() && all.stream().noneMatch(ProcessHandle::isAlive), "server process left behind");
    }

    private static void copyTree(Path from, Path to) throws IOException
    {
        try (Stream<Path> s = Files.walk(from))
        {
            for (Path p : (Iterable<Path>)s::iterator)
            {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p))
                    Files.createDirectories(t);
                else
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
