package io.github.jettyhttpsys.examples;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.github.jettyhttpsys.SslCertificateBindings;
import io.github.jettyhttpsys.emulator.HttpEmu;

/**
 * The demo's https port: a self-signed certificate for localhost made at start (with the JDK's
 * keytool) and bound to the port as {@code netsh http add sslcert} would. On the emulator the
 * certificate is imported into its store first; on Windows, where importing into LocalMachine\My is
 * an administrator's job, the thumbprint of a certificate already there is given with
 * {@code -Dhttps.thumbprint=...}.
 */
final class DemoCertificate
{
    private static final UUID APP_ID = UUID.fromString("4dc3e181-e14b-4a21-b022-59fc669b0914");

    private DemoCertificate()
    {
    }

    /**
     * @param port the https port
     * @return whether a certificate is bound to the port
     */
    static boolean bind(int port) throws Exception
    {
        byte[] thumbprint;
        String given = System.getProperty("https.thumbprint");
        if (given != null && !given.isBlank())
            thumbprint = HexFormat.of().parseHex(given.replace(" ", ""));
        else if (HttpEmu.isAvailable())
            thumbprint = HttpEmu.addCertificate(selfSigned());
        else
            return false;
        SslCertificateBindings.add(new InetSocketAddress("0.0.0.0", port), thumbprint, "MY", APP_ID, false);
        return true;
    }

    /** Removes the binding (and, on the emulator, the certificate). */
    static void unbind(int port)
    {
        SslCertificateBindings.delete(new InetSocketAddress("0.0.0.0", port));
        if (HttpEmu.isAvailable())
            HttpEmu.clearCertificates();
    }

    /** A PEM file with a new self-signed certificate for localhost and its key. */
    private static Path selfSigned() throws Exception
    {
        Path dir = Files.createTempDirectory("httpsys-demo");
        Path p12 = dir.resolve("demo.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "demo", "-keyalg", "RSA", "-keysize", "2048", "-validity", "30",
            "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
            "-keystore", p12.toString(), "-storepass", "demo-pass", "-keypass", "demo-pass").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException("keytool could not make the demo's certificate: " + out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12))
        {
            store.load(in, "demo-pass".toCharArray());
        }
        Certificate cert = store.getCertificate("demo");
        Key key = store.getKey("demo", "demo-pass".toCharArray());
        Base64.Encoder b64 = Base64.getMimeEncoder(64, new byte[]{'\n'});
        String pem = "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n" +
            "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Path file = dir.resolve("demo.pem");
        Files.writeString(file, pem);
        Files.delete(p12);
        file.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return file;
    }
}
