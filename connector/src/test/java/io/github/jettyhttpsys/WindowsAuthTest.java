package io.github.jettyhttpsys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.github.jettyhttpsys.emulator.HttpEmu;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.servlet.security.ConstraintMapping;
import org.eclipse.jetty.ee10.servlet.security.ConstraintSecurityHandler;
import org.eclipse.jetty.security.Constraint;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Windows authentication done by HTTP.sys reaching Jetty's security: Basic against accounts (the
 * emulator's stand-in for Windows accounts, F-142), Negotiate/Kerberos end to end with a real KDC and
 * curl, the 401 challenges HTTP.sys builds (F-134), anonymous allowed or refused (F-133), groups as
 * roles, and every access token closed exactly once (F-139) — the emulator counts them.
 */
public class WindowsAuthTest
{
    @TempDir
    Path dir;

    private Server server;
    private int port;
    private static Path kdc;

    @BeforeEach
    public void accounts()
    {
        Assumptions.assumeTrue(HttpEmu.isAvailable(), "emulator-only: accounts stand in for Windows accounts");
        HttpEmu.addAccount("EMU\\bob", "builder", "EMU\\Staff", "EMU\\Builders");
        HttpEmu.addAccount("EMU\\eve", "secret", "EMU\\Visitors");
    }

    @AfterEach
    public void stop() throws Exception
    {
        if (server != null)
            server.stop();
        if (HttpEmu.isAvailable())
            HttpEmu.clearAccounts();
        TestSupport.assertNothingLeaked();
    }

    @AfterAll
    public static void stopKdc() throws Exception
    {
        if (kdc != null)
            run(null, List.of("bash", script().toString(), "stop", kdc.toString()));
    }

    /** /secure/* needs the role EMU\Staff; /open/* is for anyone; both report who Jetty says it is. */
    private void start(String authMethod, HttpSysConnector connector) throws Exception
    {
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new HttpServlet()
        {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException
            {
                WindowsIdentity w = (WindowsIdentity)req.getAttribute(WindowsIdentity.ATTRIBUTE);
                resp.getWriter().print((req.getUserPrincipal() == null ? "anonymous" : req.getUserPrincipal().getName()) + "|" +
                    req.getAuthType() + "|staff=" + req.isUserInRole("EMU\\Staff") + "|" + (w == null ? "-" : w.getSid().startsWith("S-1-5-21-") +
                    "|cached=" + w.isFromCachedCredentials() + "|groups=" + w.getGroups().contains("EMU\\Builders")));
            }
        }), "/*");
        ConstraintSecurityHandler security = new ConstraintSecurityHandler();
        security.setAuthenticationType(authMethod); // found through HttpSysAuthenticatorFactory, as web.xml's <auth-method>
        ConstraintMapping secure = new ConstraintMapping();
        secure.setPathSpec("/secure/*");
        secure.setConstraint(Constraint.from("EMU\\Staff"));
        security.addConstraintMapping(secure);
        context.setSecurityHandler(security);
        server.addConnector(connector);
        server.setHandler(context);
        server.start();
    }

    private HttpSysConnector connector(String... schemes) throws IOException
    {
        port = TestSupport.freePort();
        server = new Server();
        HttpSysConnector c = new HttpSysConnector(server, "http://localhost:" + port + "/");
        c.setAuthenticationSchemes(schemes);
        return c;
    }

    private static String basic(String user, String password)
    {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** One request on its own connection: the raw response. */
    private String get(String path, String authorization) throws IOException
    {
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\n" +
                (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    public void basicUsersReachJettysSecurityWithTheirGroupsAsRoles() throws Exception
    {
        HttpSysConnector c = connector("Basic");
        c.setBasicRealm("Jetty");
        start(HttpSysAuthenticator.AUTH_METHOD, c);

        String challenge = get("/secure/x", null);
        assertTrue(challenge.startsWith("HTTP/1.1 401"), challenge);
        assertTrue(challenge.contains("WWW-Authenticate: Basic realm=\"Jetty\""), challenge); // built by HTTP.sys (F-134)

        String ok = get("/secure/x", basic("EMU\\bob", "builder"));
        assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
        assertTrue(ok.endsWith("EMU\\bob|Basic|staff=true|true|cached=false|groups=true"), ok);

        String forbidden = get("/secure/x", basic("EMU\\eve", "secret"));
        assertTrue(forbidden.startsWith("HTTP/1.1 403"), forbidden); // authenticated, not in the role

        String wrong = get("/secure/x", basic("EMU\\bob", "wrong"));
        assertTrue(wrong.startsWith("HTTP/1.1 401"), wrong); // delivered as Failure: no user, challenged again

        String malformed = get("/secure/x", "Basic !!!");
        assertTrue(malformed.startsWith("HTTP/1.1 400"), malformed); // HTTP.sys's own 400, never delivered (F-136)

        String open = get("/open/x", null);
        assertTrue(open.startsWith("HTTP/1.1 200") && open.endsWith("anonymous|null|staff=false|-"), open);
        String openAsBob = get("/open/x", basic("bob", "builder")); // a user without domain: the registered one
        assertTrue(openAsBob.endsWith("EMU\\bob|Basic|staff=true|true|cached=false|groups=true"), openAsBob);
    }

    @Test
    public void severalSchemesAreChallengedStrongestFirst() throws Exception
    {
        start(HttpSysAuthenticator.AUTH_METHOD, connector("Basic", "NTLM", "Negotiate"));
        String challenge = get("/secure/x", null);
        int negotiate = challenge.indexOf("WWW-Authenticate: Negotiate");
        int ntlm = challenge.indexOf("WWW-Authenticate: NTLM");
        int basic = challenge.indexOf("WWW-Authenticate: Basic");
        assertTrue(negotiate > 0 && ntlm > negotiate && basic > ntlm, challenge);
    }

    @Test
    public void withoutAnonymousTheConnectorChallengesBeforeTheApplication() throws Exception
    {
        HttpSysConnector c = connector("Basic");
        c.setAllowAnonymous(false);
        start(HttpSysAuthenticator.AUTH_METHOD, c);
        String open = get("/open/x", null);
        assertTrue(open.startsWith("HTTP/1.1 401") && open.contains("WWW-Authenticate: Basic"), open);
        assertFalse(open.contains("anonymous"), open);
        assertTrue(get("/open/x", basic("EMU\\eve", "secret")).endsWith("EMU\\eve|Basic|staff=false|true|cached=false|groups=false"));
    }

    @Test
    public void aClientThatResetsLeavesNoTokenBehind() throws Exception
    {
        start(HttpSysAuthenticator.AUTH_METHOD, connector("Basic"));
        for (int i = 0; i < 20; i++)
        {
            try (Socket s = new Socket("127.0.0.1", port))
            {
                s.getOutputStream().write(("GET /secure/x HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + basic("EMU\\bob", "builder") +
                    "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                s.setSoLinger(true, 0);
            }
        }
        assertTrue(get("/secure/x", basic("EMU\\bob", "builder")).startsWith("HTTP/1.1 200"));
        // assertNothingLeaked (after each test) checks the emulator's live token count is back to 0
    }

    // ---- Negotiate / Kerberos with a real KDC ----

    private static Path script()
    {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent())
        {
            Path p = d.resolve("emulator/src/test/kdc/kdc.sh");
            if (Files.isRegularFile(p))
                return p;
        }
        throw new IllegalStateException("emulator/src/test/kdc/kdc.sh not found");
    }

    private static String run(Map<String, String> env, List<String> command) throws Exception
    {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (env != null)
            pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        return out;
    }

    /** libc's setenv: the emulator's GSSAPI acceptor reads KRB5_CONFIG and KRB5_KTNAME from this process's environment. */
    private interface LibC extends Library
    {
        int setenv(String name, String value, int overwrite);
    }

    private Map<String, String> realm() throws Exception
    {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/krb5kdc")), "krb5-kdc is not installed (.ci/run installs it)");
        if (kdc == null)
            kdc = Files.createTempDirectory("kdc");
        run(null, List.of("bash", script().toString(), "start", kdc.toString()));
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(kdc.resolve("env")))
        {
            int eq = line.indexOf('=');
            if (eq > 0)
                env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        LibC libc = Native.load("c", LibC.class);
        libc.setenv("KRB5_CONFIG", env.get("KRB5_CONFIG"), 1);
        libc.setenv("KRB5_KTNAME", env.get("KRB5_KTNAME"), 1);
        return env;
    }

    @Test
    public void kerberosThroughSpnegoWithARealKdcAndCurl() throws Exception
    {
        Map<String, String> env = realm();
        HttpSysConnector c = connector("Negotiate");
        c.setKerberosCredentialCaching(true);
        start("NEGOTIATE", c); // Jetty's SPNEGO auth-method, served by HTTP.sys when it does Negotiate
        String user = env.get("KDC_USER");
        String name = user.substring(0, user.indexOf('@'));
        String realmName = env.get("KDC_REALM");
        String domain = realmName.substring(0, realmName.indexOf('.'));
        HttpEmu.addAccount(domain + "\\" + name, "unused", domain + "\\Builders");
        Map<String, String> client = Map.of("KRB5_CONFIG", env.get("KRB5_CONFIG"), "KRB5CCNAME", env.get("KRB5CCNAME"));
        // two requests on one keep-alive connection: the second rides on the connection's Kerberos context (F-137)
        String out = run(client, List.of("curl", "-sv", "-m", "10", "--negotiate", "-u", ":", "-w", "\n%{http_code}\n",
            "http://localhost:" + port + "/open/first", "http://localhost:" + port + "/open/second"));
        assertTrue(out.contains(domain + "\\" + name + "|Negotiate|staff=false|true|cached=false|groups=true\n200"), out);
        assertEquals(2, out.split("\n200", -1).length - 1, out);
        // no ticket, no user: the constrained path challenges
        String anonymous = run(Map.of("KRB5_CONFIG", env.get("KRB5_CONFIG"), "KRB5CCNAME", kdc.resolve("empty-ccache").toString()),
            List.of("curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "--negotiate", "-u", ":", "http://localhost:" + port + "/secure/x"));
        assertEquals("401", anonymous.trim());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    public void jettysSpnegoClientAndKerberosCredentialCachingOnAKeepAliveConnection(boolean caching) throws Exception
    {
        Map<String, String> env = realm();
        HttpSysConnector c = connector("Negotiate");
        c.setKerberosCredentialCaching(caching);
        start(HttpSysAuthenticator.AUTH_METHOD, c);
        String realmName = env.get("KDC_REALM");
        String domain = realmName.substring(0, realmName.indexOf('.'));
        String user = env.get("KDC_USER");
        String account = domain + "\\" + user.substring(0, user.indexOf('@'));
        HttpEmu.addAccount(account, "unused", domain + "\\Staff");
        System.setProperty("java.security.krb5.conf", env.get("KRB5_CONFIG"));
        org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
        client.start();
        try
        {
            java.net.URI uri = java.net.URI.create("http://localhost:" + port + "/");
            org.eclipse.jetty.client.SPNEGOAuthentication spnego = new org.eclipse.jetty.client.SPNEGOAuthentication(uri);
            spnego.setUserName(user);
            spnego.setUserPassword(env.get("KDC_PASSWORD"));
            spnego.setServiceName("HTTP");
            client.getAuthenticationStore().addAuthentication(spnego);
            // Jetty's client answers the 401 with a Kerberos token (SPNEGO); HTTP.sys authenticates it
            org.eclipse.jetty.client.ContentResponse first = client.newRequest(uri.resolve("/secure/x")).timeout(20, TimeUnit.SECONDS).send();
            assertEquals(200, first.getStatus(), first.getContentAsString());
            assertEquals(account + "|Negotiate|staff=true|true|cached=false|groups=false", first.getContentAsString());
            // The next request on the keep-alive connection carries no token: with caching HTTP.sys authenticates it
            // from the connection's Kerberos context; without, it is anonymous, challenged, and authenticated anew (F-137).
            org.eclipse.jetty.client.ContentResponse second = client.newRequest(uri.resolve("/secure/y")).timeout(20, TimeUnit.SECONDS).send();
            assertEquals(200, second.getStatus(), second.getContentAsString());
            assertEquals(account + "|Negotiate|staff=true|true|cached=" + caching + "|groups=false", second.getContentAsString());
        }
        finally
        {
            client.stop();
        }
    }
}
