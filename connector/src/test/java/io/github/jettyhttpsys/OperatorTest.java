package io.github.jettyhttpsys;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.sun.jna.Memory;
import io.github.jettyhttpsys.emulator.HttpEmu;
import io.github.jettyhttpsys.engine.RequestQueue;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.Layout;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.jmx.MBeanContainer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator sees and sets: bad values fail in the setter, the JMX attributes have their real types
 * and live counters, {@code Server.dump()} shows the queue, and HTTP.sys's knobs (503 verbosity, queue
 * modes, machine-wide timeouts left alone) do what they say.
 */
public class OperatorTest
{
    private Server server;

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        TestSupport.assertNothingLeaked();
    }

    private HttpSysConnector start(HttpSysConnector connector) throws Exception
    {
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
        server.start();
        return connector;
    }

    @Test
    public void badValuesFailInTheSetterWithAMessage()
    {
        HttpSysConnector c = new HttpSysConnector(new Server(), "http://+:8080/");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.setMaxConnections(-7)).getMessage().contains("-7"));
        assertThrows(IllegalArgumentException.class, () -> c.setMaxConnections(0));
        assertThrows(IllegalArgumentException.class, () -> c.setEntityBodyTimeoutSeconds(-5));
        assertThrows(IllegalArgumentException.class, () -> c.setHeaderWaitTimeoutSeconds(70000));
        assertThrows(IllegalArgumentException.class, () -> c.setMaxRequestBodySize(-2));
        assertThrows(IllegalArgumentException.class, () -> c.setMinSendRateBytesPerSecond(-3));
        assertThrows(IllegalArgumentException.class, () -> c.setRequestQueueLength(5));
        assertThrows(IllegalArgumentException.class, () -> c.setReceiveConcurrency(-1));
        assertThrows(IllegalArgumentException.class, () -> c.setRequestQueueName("a\\b"));
        assertThrows(IllegalArgumentException.class, () -> c.setUrlPrefixes("http://+/"));
        assertThrows(IllegalArgumentException.class, () -> c.set503Verbosity(null));
        // the accepted edges
        c.setMaxConnections(-1);
        c.setEntityBodyTimeoutSeconds(0);
        c.setHeaderWaitTimeoutSeconds(65535);
        c.setReceiveConcurrency(0);
        assertEquals(Math.max(2, Runtime.getRuntime().availableProcessors() * 2), c.getReceiveConcurrency());
        assertEquals("+", c.getHost());
        assertEquals(8080, c.getPort());
    }

    @Test
    public void jmxShowsTypedSettingsAndLiveCounters() throws Exception
    {
        int port = TestSupport.freePort();
        server = new Server();
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        MBeanContainer container = new MBeanContainer(mbeans);
        server.addBean(container);
        HttpSysConnector connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.setMaxRequestBodySize(10);
        start(connector);
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 3; i++)
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpResponse<String> tooLarge = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
            .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100))).build(), HttpResponse.BodyHandlers.ofString());
        // a declared length over the limit is refused at once (a read of it fails with 413)
        ObjectName name = container.findMBean(connector);
        Map<String, String> types = new HashMap<>();
        for (MBeanAttributeInfo a : mbeans.getMBeanInfo(name).getAttributes())
            types.put(a.getName(), a.getType());
        assertEquals("java.lang.String", types.get("urlPrefixList"));
        assertEquals("long", types.get("requestsServed"));
        assertEquals("int", types.get("maxConnections"));
        assertEquals("int", types.get("entityBodyTimeoutSeconds"));
        assertTrue(types.containsKey("disconnectsDetected") && types.containsKey("requestsCancelled") &&
            types.containsKey("receiveErrors") && types.containsKey("requestBodiesTooLarge") && types.containsKey("activeRequests"), types.toString());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((long)mbeans.getAttribute(name, "requestsServed") < 4 && System.nanoTime() < deadline)
            Thread.sleep(5);
        assertEquals(4L, mbeans.getAttribute(name, "requestsServed"));
        assertEquals(1L, mbeans.getAttribute(name, "requestBodiesTooLarge"), "status " + tooLarge.statusCode());
        assertEquals("127.0.0.1", mbeans.getAttribute(name, "host"));
        assertEquals(-1, mbeans.getAttribute(name, "entityBodyTimeoutSeconds"));
    }

    @Test
    public void dumpShowsTheQueueConnectionsAndCompletionThreads() throws Exception
    {
        int port = TestSupport.freePort();
        server = new Server();
        HttpSysConnector connector = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        connector.setName("dumped");
        connector.setRequestQueueLength(500);
        connector.set503Verbosity(Http503Verbosity.LIMITED);
        start(connector);
        String dump = server.dump();
        assertTrue(dump.contains("request queue") && dump.contains("prefixes=[http://127.0.0.1:" + port + "/]") &&
            dump.contains("queueLength=500") && dump.contains("503Verbosity=LIMITED") && dump.contains("receives outstanding=") &&
            dump.contains("completion threads") && dump.contains("dumped-iocp-0"), dump);
    }

    @Test
    public void machineWideTimeoutsAreLeftAloneUnlessOneIsSet() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: call counts");
        server = new Server();
        HttpEmu.resetCallCounts();
        start(new HttpSysConnector(server, "http://127.0.0.1:" + TestSupport.freePort() + "/"));
        assertEquals(0, HttpEmu.callCount("HttpSetServerSessionProperty"), "no timeouts written");
        server.stop();
        server = new Server();
        HttpSysConnector connector = new HttpSysConnector(server, "http://127.0.0.1:" + TestSupport.freePort() + "/");
        connector.setHeaderWaitTimeoutSeconds(30);
        HttpEmu.resetCallCounts();
        start(connector);
        assertEquals(1, HttpEmu.callCount("HttpSetServerSessionProperty"), "the one set, the others inherited (0)");
    }

    @Test
    public void createOrAttachCreatesAQueueOrOpensTheExistingOne() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: a second queue owner in the process");
        int port = TestSupport.freePort();
        server = new Server();
        HttpSysConnector first = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        first.setRequestQueueName("jetty-httpsys-shared-test");
        first.setRequestQueueMode(RequestQueueMode.CREATE_OR_ATTACH);
        start(first);
        assertFalse(first.isAttached(), "nothing existed: created");
        assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
        server.stop();

        // another owner made the queue first: this connector opens it and leaves its configuration alone
        assertEquals(Layout.NO_ERROR, HttpApi.HttpInitialize(HttpApi.HTTPAPI_VERSION_2, Layout.HTTP_INITIALIZE_SERVER, null));
        try (Memory handle = new Memory(8); Memory queueName = RequestQueue.utf16("jetty-httpsys-shared-test"))
        {
            assertEquals(Layout.NO_ERROR, HttpApi.HttpCreateRequestQueue(HttpApi.HTTPAPI_VERSION_2, queueName, null, 0, handle));
            server = new Server();
            HttpSysConnector second = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
            second.setRequestQueueName("jetty-httpsys-shared-test");
            second.setRequestQueueMode(RequestQueueMode.CREATE_OR_ATTACH);
            start(second);
            assertTrue(second.isAttached(), "it existed: attached");
            assertEquals(RequestQueueMode.CREATE_OR_ATTACH, second.getRequestQueueMode());
            server.stop();
            server = null;
            assertEquals(Layout.NO_ERROR, HttpApi.HttpCloseRequestQueue(handle.getPointer(0)));
        }
        finally
        {
            HttpApi.HttpTerminate(Layout.HTTP_INITIALIZE_SERVER, null);
        }
        assertNull(server);
    }

    @Test
    public void aNamedQueueCarriesTheSecurityDescriptorItIsGiven() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: an ordinary account in the same process");
        int port = TestSupport.freePort();
        server = new Server();
        HttpSysConnector protectedQueue = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        protectedQueue.setRequestQueueName("jetty-httpsys-protected-test");
        protectedQueue.setRequestQueueSecurityDescriptor("D:(D;;GA;;;WD)"); // nobody but an administrator
        start(protectedQueue);
        assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
        // an ordinary account may not open it
        HttpEmu.setElevated(false);
        try (Memory handle = new Memory(8); Memory queueName = RequestQueue.utf16("jetty-httpsys-protected-test"))
        {
            assertEquals(Layout.ERROR_ACCESS_DENIED, HttpApi.HttpCreateRequestQueue(HttpApi.HTTPAPI_VERSION_2, queueName, null,
                Layout.HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, handle));
        }
        finally
        {
            HttpEmu.setElevated(true);
        }
        server.stop();
        // a descriptor that does not parse fails the start with what was wrong
        server = new Server();
        HttpSysConnector bad = new HttpSysConnector(server, "http://127.0.0.1:" + port + "/");
        bad.setRequestQueueName("jetty-httpsys-protected-test");
        bad.setRequestQueueSecurityDescriptor("D:(garbage)");
        java.io.IOException x = assertThrows(java.io.IOException.class, () -> start(bad));
        assertTrue(x.getMessage().contains("D:(garbage)"), x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bad.setRequestQueueSecurityDescriptor("everyone"));
    }
}
