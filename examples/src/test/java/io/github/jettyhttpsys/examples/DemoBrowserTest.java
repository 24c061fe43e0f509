package io.github.jettyhttpsys.examples;

import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import io.github.jettyhttpsys.emulator.HttpEmu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo in a real browser (headless Chromium), over http and over https (TLS and HTTP/2 by HTTP.sys, a
 * self-signed certificate): two tabs open the page, one closes, and the other shows the disconnect
 * that {@code AsyncListener.onError} reported. Screenshots are saved under {@code target/}.
 */
public class DemoBrowserTest
{
    private DemoServer demo;
    private WebDriver first;
    private WebDriver second;

    @AfterEach
    public void stop() throws Exception
    {
        if (first != null)
            first.quit();
        if (second != null)
            second.quit();
        if (demo != null)
            demo.stop();
        if (HttpEmu.isAvailable())
        {
            HttpEmu.Counters c = HttpEmu.awaitAllZero(Duration.ofSeconds(10));
            assertTrue(c.allZero(), c.toString());
        }
    }

    private static WebDriver browser(Path profile)
    {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1100,700", "--ignore-certificate-errors", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver")).build();
        return new ChromeDriver(service, options);
    }

    /**
     * Starts the demo on free ports (https: it makes a self-signed certificate at start and binds it, as
     * netsh http add sslcert) and opens two browsers; returns the page's URL for the scheme.
     */
    private String startWithTwoBrowsers(String scheme) throws Exception
    {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")) && Files.isExecutable(Path.of("/usr/bin/chromedriver")),
            "Debian's chromium and chromium-driver are not installed (.ci/run installs them)");
        int port;
        int httpsPort;
        try (ServerSocket s = new ServerSocket(0); ServerSocket t = new ServerSocket(0))
        {
            port = s.getLocalPort();
            httpsPort = t.getLocalPort();
        }
        demo = new DemoServer(port, httpsPort);
        demo.start();
        Path tmp = Files.createTempDirectory("demo-browser");
        first = browser(tmp.resolve("a"));
        second = browser(tmp.resolve("b"));
        return scheme.equals("https") ? "https://localhost:" + httpsPort + "/" : "http://localhost:" + port + "/";
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "https"})
    public void closingOneTabShowsItsDisconnectInTheOther(String scheme) throws Exception
    {
        String url = startWithTwoBrowsers(scheme);
        first.get(url);
        second.get(url);
        WebDriverWait wait1 = new WebDriverWait(first, Duration.ofSeconds(20));
        wait1.until(d -> d.findElement(By.id("me")).getText().startsWith("you are tab"));
        new WebDriverWait(second, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("me")).getText().startsWith("you are tab"));
        String secondTab = second.findElement(By.id("me")).getText().replace("you are ", "");
        // Over https the browser and HTTP.sys agree on HTTP/2 by ALPN: each tab's stream is an h2 stream.
        Object protocol = ((org.openqa.selenium.JavascriptExecutor)first).executeScript(
            "return performance.getEntriesByType('navigation')[0].nextHopProtocol");
        org.junit.jupiter.api.Assertions.assertEquals(scheme.equals("https") ? "h2" : "http/1.1", protocol);

        // Closing the browser closes its connection: HTTP.sys reports it, onError fires for its stream.
        second.quit();
        second = null;
        wait1.until(d -> d.findElements(By.cssSelector("#log li.disconnect")).stream()
            .anyMatch(li -> li.getText().contains(secondTab + " disconnected") && li.getText().contains("AsyncListener.onError")));

        Path shot = Path.of("target", "demo-disconnect-" + scheme + ".png");
        Files.createDirectories(shot.getParent());
        Files.copy(((TakesScreenshot)first).getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(shot) > 1000);
    }

    // Over https the page comes over HTTP/2 and the socket over a second TLS connection with HTTP/1.1.
    @ParameterizedTest
    @ValueSource(strings = {"http", "https"})
    public void chatMessagesCrossTabsAndAClosedTabLeaves(String scheme) throws Exception
    {
        String url = startWithTwoBrowsers(scheme);
        first.get(url);
        WebDriverWait wait1 = new WebDriverWait(first, Duration.ofSeconds(20));
        wait1.until(d -> d.findElements(By.cssSelector("#chatlog li")).stream().anyMatch(li -> li.getText().contains("joined")));
        second.get(url);
        WebDriverWait wait2 = new WebDriverWait(second, Duration.ofSeconds(20));
        wait2.until(d -> d.findElements(By.cssSelector("#chatlog li")).stream().anyMatch(li -> li.getText().contains("joined")));
        second.findElement(By.id("text")).sendKeys("hello from the second tab");
        second.findElement(By.id("send")).click();
        wait1.until(d -> d.findElements(By.cssSelector("#chatlog li")).stream().anyMatch(li -> li.getText().endsWith(": hello from the second tab")));
        // the second tab goes: its socket's end reaches the first tab
        second.quit();
        second = null;
        wait1.until(d -> d.findElements(By.cssSelector("#chatlog li")).stream().anyMatch(li -> li.getText().contains(" left (")));
    }

    @org.junit.jupiter.api.Test
    public void whoAmIAsksForAWindowsUserAndShowsIt() throws Exception
    {
        int port;
        try (ServerSocket s = new ServerSocket(0))
        {
            port = s.getLocalPort();
        }
        demo = new DemoServer(port);
        demo.start();
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.net.URI uri = java.net.URI.create("http://localhost:" + port + "/whoami");
        java.net.http.HttpResponse<String> challenge = client.send(java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        org.junit.jupiter.api.Assertions.assertEquals(401, challenge.statusCode());
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of("Negotiate", "NTLM", "Basic"), challenge.headers().allValues("WWW-Authenticate"));
        String basic = java.util.Base64.getEncoder().encodeToString((DemoServer.DEMO_USER + ":" + DemoServer.DEMO_PASSWORD).getBytes());
        java.net.http.HttpResponse<String> me = client.send(java.net.http.HttpRequest.newBuilder(uri).header("Authorization", "Basic " + basic).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        org.junit.jupiter.api.Assertions.assertEquals(200, me.statusCode());
        assertTrue(me.body().contains("user:   DEMO\\guest") && me.body().contains("scheme: Basic") && me.body().contains("DEMO\\Demo Users"), me.body());
    }
}
