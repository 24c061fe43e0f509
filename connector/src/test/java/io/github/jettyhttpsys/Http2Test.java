package io.github.jettyhttpsys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2 through the kernel: HTTP.sys negotiates h2 by ALPN on a TLS port and delivers every stream as a
 * request of Version 1.1 with the HTTP2 flag and a connection id of its own (F-77, F-153, F-186). Each case
 * runs against Jetty's own HTTP/2 server (ServerConnector + ALPN + HTTP2ServerConnectionFactory) too, the
 * oracle, with the same client: Jetty's HttpClient over HTTP/2, and nghttp (Debian nghttp2-client) where
 * the frames themselves are the point.
 */
public class Http2Test
{
    @TempDir
    Path dir;

    private TestTls tls;
    private Server server;
    private HttpClient client;
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger parkedCount = new java.util.concurrent.atomic.AtomicInteger();
    private volatile java.util.concurrent.CountDownLatch busyEntered = new java.util.concurrent.CountDownLatch(1);
    private volatile java.util.concurrent.CountDownLatch busyRelease = new java.util.concurrent.CountDownLatch(1);

    @BeforeEach
    public void setUp() throws Exception
    {
        Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: certificate import");
        tls = TestTls.make(dir, "localhost");
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(new SslContextFactory.Client(true));
        client = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client(connector)));
        client.start();
    }

    @AfterEach
    public void tearDown() throws Exception
    {
        if (client != null)
            client.stop();
        if (server != null)
            server.stop();
        if (HttpEmu.isAvailable())
            HttpEmu.clearCertificates();
        TestSupport.assertNothingLeaked();
    }

    /** What every case serves, on both servers. */
    private final Handler handler = new Handler.Abstract()
    {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception
        {
            String path = request.getHttpURI().getPath();
            switch (path)
            {
                case "/info" ->
                {
                    String body = Content.Source.asString(request, StandardCharsets.UTF_8);
                    Content.Sink.write(response, true, request.getConnectionMetaData().getProtocol() + "|" + request.getMethod() + "|" +
                        request.getLength() + "|" + request.getHeaders().get(HttpHeader.TRANSFER_ENCODING) + "|" + body.length() + "|" +
                        request.isSecure() + "|" + request.getHttpURI().getAuthority(), callback);
                }
                case "/id" -> Content.Sink.write(response, true, request.getConnectionMetaData().getId(), callback);
                case "/meta" -> Content.Sink.write(response, true, System.identityHashCode(request.getConnectionMetaData()) + " " +
                    request.getConnectionMetaData().getId() + " " + request.getConnectionMetaData().getRemoteSocketAddress(), callback);
                case "/stream" ->
                {
                    // unknown length, several writes: HTTP.sys frames them into DATA (F-187)
                    for (int i = 0; i < 4; i++)
                        Content.Sink.write(response, false, "part-" + i + "\n", Callback.NOOP);
                    response.write(true, null, callback);
                }
                case "/trailers", "/trailers-length" ->
                {
                    byte[] body = "with trailers".getBytes(StandardCharsets.US_ASCII);
                    if (path.equals("/trailers-length"))
                        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                    HttpFields.Mutable trailers = HttpFields.build();
                    response.setTrailersSupplier(() -> trailers);
                    response.write(false, ByteBuffer.wrap(body), Callback.NOOP);
                    trailers.put("X-Checksum", "abc123");
                    response.write(true, null, callback);
                }
                case "/close" ->
                {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                    Content.Sink.write(response, true, "bye", callback);
                }
                case "/answered" ->
                {
                    request.addFailureListener(failures::add);
                    Content.Sink.write(response, true, "ok", callback);
                }
                case "/park" ->
                {
                    request.addFailureListener(x ->
                    {
                        failures.add(x);
                        callback.failed(x);
                    });
                    parkedCount.incrementAndGet();
                }
                case "/busy" ->
                {
                    // still in its first dispatch when the client resets it; async after that
                    request.addFailureListener(x ->
                    {
                        failures.add(x);
                        callback.failed(x);
                    });
                    busyEntered.countDown();
                    busyRelease.await(10, TimeUnit.SECONDS);
                }
                case "/abort" ->
                {
                    response.write(false, ByteBuffer.wrap("partial".getBytes(StandardCharsets.US_ASCII)),
                        Callback.from(() -> callback.failed(new IOException("application gave up")), callback::failed));
                }
                default ->
                {
                    response.setStatus(404);
                    callback.succeeded();
                }
            }
            return true;
        }
    };

    private String startHttpSys() throws Exception
    {
        int port = TestSupport.freePort();
        tls.bind(port);
        server = new Server();
        server.addConnector(new HttpSysConnector(server, new HttpConfiguration(), "https://127.0.0.1:" + port + "/"));
        server.setHandler(handler);
        server.start();
        return "https://127.0.0.1:" + port;
    }

    private String startJetty() throws Exception
    {
        server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        HttpConnectionFactory http1 = new HttpConnectionFactory(config);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(config);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
        alpn.setDefaultProtocol("http/1.1");
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(tls.serverContext(), alpn.getProtocol()), alpn, h2, http1);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        return "https://127.0.0.1:" + connector.getLocalPort();
    }

    private String start(String which) throws Exception
    {
        return which.equals("jetty") ? startJetty() : startHttpSys();
    }

    private void restartHttpSys() throws Exception
    {
        server.stop();
        server = null;
        HttpEmu.clearCertificates();
    }

    /** The same exchanges against Jetty's own HTTP/2 server and then against HTTP.sys. */
    private List<String> bothServers(ThrowingFunction exchange) throws Exception
    {
        List<String> results = new ArrayList<>();
        results.add(exchange.apply(startJetty()));
        restartHttpSys();
        results.add(exchange.apply(startHttpSys()));
        return results;
    }

    private interface ThrowingFunction
    {
        String apply(String base) throws Exception;
    }

    private ContentResponse get(String uri) throws Exception
    {
        return client.newRequest(uri).timeout(10, TimeUnit.SECONDS).send();
    }

    @Test
    public void getAndPostAsJettysOwnHttp2Server() throws Exception
    {
        List<String> r = bothServers(base ->
        {
            String authority = base.substring("https://".length());
            ContentResponse get = get(base + "/info");
            ContentResponse withLength = client.newRequest(base + "/info").method(HttpMethod.POST)
                .body(new StringRequestContent("hello h2")).timeout(10, TimeUnit.SECONDS).send();
            // a body without a length: HTTP.sys shows Transfer-Encoding: chunked (F-155), Jetty's h2 server does not
            org.eclipse.jetty.client.AsyncRequestContent streamed = new org.eclipse.jetty.client.AsyncRequestContent();
            CompletableFuture<ContentResponse> pending = new CompletableResponseListener(
                client.newRequest(base + "/info").method(HttpMethod.POST).body(streamed).timeout(10, TimeUnit.SECONDS)).send();
            streamed.write(ByteBuffer.wrap("streamed body".getBytes(StandardCharsets.US_ASCII)), Callback.NOOP);
            streamed.close();
            ContentResponse noLength = pending.get(10, TimeUnit.SECONDS);
            return (get.getVersion() + " " + get.getStatus() + " " + get.getContentAsString() + " / " + withLength.getContentAsString() + " / " +
                noLength.getContentAsString()).replace(authority, "AUTHORITY");
        });
        assertEquals("HTTP/2.0 200 HTTP/2.0|GET|-1|null|0|true|AUTHORITY / HTTP/2.0|POST|8|null|8|true|AUTHORITY / " +
            "HTTP/2.0|POST|-1|null|13|true|AUTHORITY", r.get(0));
        assertEquals(r.get(0), r.get(1), "Jetty's own HTTP/2 server and HTTP.sys give the same request");
    }

    @Test
    public void aStreamedResponseOfUnknownLengthHasNoChunkFraming() throws Exception
    {
        List<String> r = bothServers(base ->
        {
            ContentResponse response = get(base + "/stream");
            return response.getStatus() + " " + response.getHeaders().get(HttpHeader.TRANSFER_ENCODING) + " " + response.getContentAsString();
        });
        assertEquals("200 null part-0\npart-1\npart-2\npart-3\n", r.get(0));
        assertEquals(r.get(0), r.get(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/trailers", "/trailers-length"})
    public void responseTrailersReachTheClient(String path) throws Exception
    {
        List<String> r = bothServers(base ->
        {
            CompletableFuture<String> trailers = new CompletableFuture<>();
            ContentResponse response = client.newRequest(base + path).timeout(10, TimeUnit.SECONDS)
                .onResponseSuccess(x -> trailers.complete(String.valueOf(x.getTrailers() == null ? null : x.getTrailers().get("X-Checksum"))))
                .send();
            return response.getStatus() + " " + response.getContentAsString() + " " + trailers.get(10, TimeUnit.SECONDS);
        });
        assertEquals("200 with trailers abc123", r.get(0));
        assertEquals(r.get(0), r.get(1));
    }

    @Test
    public void aHundredConcurrentStreamsOnOneConnectionAreIndependentRequests() throws Exception
    {
        String base = startHttpSys();
        assertEquals(200, get(base + "/id").getStatus()); // the connection, before the streams
        List<CompletableFuture<ContentResponse>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++)
            all.add(new CompletableResponseListener(client.newRequest(base + "/id").timeout(30, TimeUnit.SECONDS)).send());
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<ContentResponse> f : all)
        {
            ContentResponse response = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, response.getStatus());
            assertEquals(org.eclipse.jetty.http.HttpVersion.HTTP_2, response.getVersion());
            ids.add(response.getContentAsString());
        }
        // one TCP connection from the client, and HTTP.sys gives each stream a connection id of its own (F-77)
        assertEquals(1, client.getDestinations().size());
        org.eclipse.jetty.client.ConnectionPool pool = client.getDestinations().get(0).getConnectionPool();
        assertEquals(1, ((org.eclipse.jetty.client.AbstractConnectionPool)pool).getConnectionCount());
        assertEquals(100, ids.size(), "connection ids of the streams");
    }

    /** Parks requests on /park, then ends them from the client side; returns what the server saw. */
    private String dropParked(String base, int streams, boolean closeConnection) throws Exception
    {
        failures.clear();
        java.util.concurrent.Semaphore seen = new java.util.concurrent.Semaphore(0);
        List<org.eclipse.jetty.client.Request> requests = new ArrayList<>();
        List<CompletableFuture<Result>> results = new ArrayList<>();
        for (int i = 0; i < streams; i++)
        {
            org.eclipse.jetty.client.Request request = client.newRequest(base + "/park").timeout(30, TimeUnit.SECONDS);
            CompletableFuture<Result> result = new CompletableFuture<>();
            request.send(result::complete);
            requests.add(request);
            results.add(result);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (parkedCount.get() < streams && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertEquals(streams, parkedCount.get(), "requests parked; client results: " +
            results.stream().map(r -> r.isDone() ? String.valueOf(r.join().getFailure()) : "pending").toList());
        if (closeConnection)
            client.stop(); // the TCP connection closes with its streams open
        else
            for (org.eclipse.jetty.client.Request r : requests)
                r.abort(new IOException("client gave up")); // RST_STREAM(CANCEL)
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (failures.size() < streams && System.nanoTime() < deadline)
            Thread.sleep(5);
        for (CompletableFuture<Result> r : results)
            assertTrue(r.get(10, TimeUnit.SECONDS).isFailed());
        parkedCount.set(0);
        return failureSummary();
    }

    /** What the failure listeners saw: their count and the kinds of failure. */
    private String failureSummary()
    {
        return "failures=" + failures.size() + " types=" + failures.stream().map(x -> x instanceof org.eclipse.jetty.io.EofException ? "eof" :
            x.getClass().getSimpleName()).distinct().toList();
    }

    @Test
    public void aFinishedStreamsChannelServesTheNextStreamWithThatStreamsConnection() throws Exception
    {
        String base = startHttpSys();
        Set<String> channels = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 30; i++)
        {
            ContentResponse response = client.newRequest(base + "/meta").timeout(10, TimeUnit.SECONDS).send();
            assertEquals(200, response.getStatus());
            String[] meta = response.getContentAsString().split(" ");
            channels.add(meta[0]);
            ids.add(meta[1]);
            assertTrue(meta[2].contains("127.0.0.1"), meta[2]);
        }
        assertEquals(30, ids.size(), "each stream has the connection id HTTP.sys gave it (F-77)");
        assertTrue(channels.size() <= 5, "channels are recycled from stream to stream: " + channels.size() + " for 30");
    }

    @Test
    public void theEndOfAnAnsweredStreamIsNoFailureOfItsRequest() throws Exception
    {
        // On HTTP/2 the disconnect wait of a stream completes as the stream ends (F-77), racing the completion of
        // its final send: a request that was answered runs no failure listener, as on Jetty's own HTTP/2 server.
        List<String> r = bothServers(base ->
        {
            failures.clear();
            List<CompletableFuture<ContentResponse>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++)
                all.add(new CompletableResponseListener(client.newRequest(base + "/answered").timeout(30, TimeUnit.SECONDS)).send());
            int ok = 0;
            for (CompletableFuture<ContentResponse> f : all)
                ok += f.get(30, TimeUnit.SECONDS).getStatus() == 200 ? 1 : 0;
            Thread.sleep(300);
            return ok + " answered, failures " + failures;
        });
        assertEquals("300 answered, failures []", r.get(1), "HTTP.sys");
        assertEquals(r.get(0), r.get(1), "as Jetty's own");
    }

    @Test
    public void aClientResetOfOneStreamFailsThatRequestAtOnce() throws Exception
    {
        List<String> r = bothServers(base -> dropParked(base, 1, false));
        assertEquals("failures=1 types=[eof]", r.get(1), "HTTP.sys: " + r.get(1) + ", Jetty's own: " + r.get(0));
        assertTrue(r.get(0).startsWith("failures=1"), r.get(0));
    }

    @Test
    public void aStreamAnsweredInItsFirstDispatchCostsNoDisconnectWait() throws Exception
    {
        String base = startHttpSys();
        HttpSysConnector connector = (HttpSysConnector)server.getConnectors()[0];
        assertEquals(200, get(base + "/answered").getStatus()); // the TCP connection is up
        long waits = HttpEmu.callCount("HttpWaitForDisconnectEx") + HttpEmu.callCount("HttpWaitForDisconnect");
        for (int i = 0; i < 20; i++)
            assertEquals(200, get(base + "/answered").getStatus());
        assertEquals(waits, HttpEmu.callCount("HttpWaitForDisconnectEx") + HttpEmu.callCount("HttpWaitForDisconnect"),
            "a stream whose request ended within its dispatch armed no wait");
        // and its connection (one stream, F-77) ended with its request: none is left tracked
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!connector.getConnectedEndPoints().isEmpty() && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertEquals(0, connector.getConnectedEndPoints().size(), "connections of ended streams");
        // a request that outlives its dispatch arms one, and a reset reaches it at once
        assertEquals("failures=1 types=[eof]", dropParked(base, 1, false));
        assertEquals(waits + 1, HttpEmu.callCount("HttpWaitForDisconnectEx") + HttpEmu.callCount("HttpWaitForDisconnect"));
    }

    @Test
    public void aResetDuringTheFirstDispatchFailsTheRequestThatGoesAsync() throws Exception
    {
        List<String> r = bothServers(base ->
        {
            failures.clear();
            busyEntered = new java.util.concurrent.CountDownLatch(1);
            busyRelease = new java.util.concurrent.CountDownLatch(1);
            org.eclipse.jetty.client.Request request = client.newRequest(base + "/busy").timeout(30, TimeUnit.SECONDS);
            CompletableFuture<Result> result = new CompletableFuture<>();
            request.send(result::complete);
            assertTrue(busyEntered.await(10, TimeUnit.SECONDS));
            request.abort(new IOException("client gave up")); // RST_STREAM(CANCEL) while the handler runs
            Thread.sleep(300); // the reset reaches the server before the dispatch returns
            busyRelease.countDown();
            assertTrue(result.get(10, TimeUnit.SECONDS).isFailed());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (failures.isEmpty() && System.nanoTime() < deadline)
                Thread.sleep(5);
            Thread.sleep(100);
            return failureSummary();
        });
        assertEquals("failures=1 types=[eof]", r.get(1), "HTTP.sys: " + r.get(1) + ", Jetty's own: " + r.get(0));
        assertTrue(r.get(0).startsWith("failures=1"), "Jetty's own: " + r.get(0));
    }

    @Test
    public void aClientThatClosesTheConnectionFailsEveryOpenStream() throws Exception
    {
        String base = startHttpSys();
        assertEquals("failures=3 types=[eof]", dropParked(base, 3, true));
    }

    @Test
    public void aServerAbortResetsTheStreamNotTheConnection() throws Exception
    {
        String base = startHttpSys();
        CompletableFuture<Result> aborted = new CompletableFuture<>();
        client.newRequest(base + "/abort").timeout(10, TimeUnit.SECONDS).send(aborted::complete);
        Result result = aborted.get(10, TimeUnit.SECONDS);
        assertTrue(result.isFailed(), "the client sees the abort");
        // the same connection serves the next stream
        assertEquals("HTTP/2.0|GET|-1|null|0|true|" + base.substring(8), get(base + "/info").getContentAsString());
        assertEquals(1, ((org.eclipse.jetty.client.AbstractConnectionPool)client.getDestinations().get(0).getConnectionPool()).getConnectionCount());
        // on the wire: RST_STREAM with INTERNAL_ERROR, the head having been sent (F-158)
        String frames = nghttp(base + "/abort");
        assertTrue(frames.contains("recv RST_STREAM") && frames.contains("error_code=INTERNAL_ERROR"), frames);
        assertFalse(frames.contains("recv GOAWAY"), frames);
    }

    @Test
    public void connectionCloseFromTheApplicationIsAGoAway() throws Exception
    {
        String base = startHttpSys();
        String frames = nghttp(base + "/close");
        assertTrue(frames.contains("recv GOAWAY"), frames);
        assertTrue(frames.contains("bye") || frames.contains("recv DATA"), frames);
        assertFalse(frames.toLowerCase().contains("connection: close"), frames);
    }

    @Test
    public void aWindowsThatRefusesGoAwayGetsTheResponseWithoutIt() throws Exception
    {
        String base = startHttpSys();
        // Windows before 19H2 refuses HTTP_SEND_RESPONSE_FLAG_GOAWAY (F-157): the send goes again without it
        HttpEmu.failNext("HttpSendHttpResponse", 1, io.github.jettyhttpsys.nativeapi.Layout.ERROR_INVALID_PARAMETER);
        ContentResponse response = get(base + "/close");
        assertEquals(200, response.getStatus());
        assertEquals("bye", response.getContentAsString());
        HttpSysConnector connector = (HttpSysConnector)server.getConnectors()[0];
        assertTrue(connector.isGoAwayRefused());
        long calls = HttpEmu.callCount("HttpSendHttpResponse");
        assertEquals("bye", get(base + "/close").getContentAsString()); // and is not tried again
        assertEquals(calls + 1, HttpEmu.callCount("HttpSendHttpResponse"));
    }

    @Test
    public void trailersOnTheWireAreATrailingHeadersFrame() throws Exception
    {
        String base = startHttpSys();
        String frames = nghttp(base + "/trailers");
        assertTrue(frames.contains("x-checksum: abc123"), frames);
    }

    @Test
    public void curlSpeaksHttp2ToIt() throws Exception
    {
        String base = startHttpSys();
        Process p = new ProcessBuilder("curl", "-sk", "--http2", "-w", "\n%{http_version}", base + "/info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals("HTTP/2.0|GET|-1|null|0|true|" + base.substring(8) + "\n2", out);
    }

    /** nghttp -nv: the frames of one exchange, as text. */
    private static String nghttp(String uri) throws Exception
    {
        Process p;
        try
        {
            p = new ProcessBuilder("nghttp", "-v", "-t", "10", uri).redirectErrorStream(true).start();
        }
        catch (IOException x)
        {
            Assumptions.abort("nghttp (Debian nghttp2-client) is not installed");
            throw x;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "nghttp did not finish: " + out);
        return out;
    }
}
