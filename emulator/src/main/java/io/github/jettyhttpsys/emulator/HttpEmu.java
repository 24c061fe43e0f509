package io.github.jettyhttpsys.emulator;

import java.time.Duration;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The emulator's own exports (prefixed {@code HttpEmu}): live-object counters for leak checks,
 * fault injection and per-function call counts. They exist only in the Linux emulator
 * ({@code libhttpapi.so} from this jar), never in Windows' {@code httpapi.dll}.
 */
public final class HttpEmu
{
    private static final boolean AVAILABLE;

    static
    {
        boolean ok;
        try
        {
            NativeLibrary lib = NativeLibrary.getInstance("httpapi");
            lib.getFunction("HttpEmuGetCounters");
            Native.register(HttpEmu.class, lib);
            ok = true;
        }
        catch (UnsatisfiedLinkError x)
        {
            ok = false;
        }
        AVAILABLE = ok;
    }

    private HttpEmu()
    {
    }

    private static native int HttpEmuGetCounters(Memory out, int size);

    private static native int HttpEmuFailNext(String function, int count, int win32Error);

    private static native int HttpEmuClearFaults();

    private static native long HttpEmuGetCallCount(String function);

    private static native void HttpEmuResetCallCounts();

    private static native int HttpEmuSetStrict(int on);

    private static native int HttpEmuAddCertificate(String pemPath, byte[] thumbprint);

    private static native int HttpEmuClearCertificates();

    private static native int HttpEmuSetElevated(int on);

    private static native int HttpEmuAddAccount(com.sun.jna.Pointer domainUser, com.sun.jna.Pointer password, com.sun.jna.Pointer groups);

    private static native int HttpEmuClearAccounts();

    private static native int HttpEmuClearUrlAcls();

    /**
     * @return whether the loaded {@code httpapi} library is the emulator
     */
    public static boolean isAvailable()
    {
        return AVAILABLE;
    }

    /**
     * Live objects held by the emulator right now.
     *
     * @param sessions server sessions
     * @param urlGroups URL groups
     * @param queues request queues
     * @param ports completion ports
     * @param connections client TCP connections still open
     * @param requests requests not yet finished
     * @param pendingOverlapped operations issued and not yet completed
     * @param bufferedBytes bytes held in connection and body buffers
     * @param completionsNotPending completions whose OVERLAPPED no longer read {@code STATUS_PENDING}: the caller
     *     reused or rewrote it while the kernel owned it (cumulative since the library loaded, not a live count)
     * @param http2Objects live HTTP/2 sessions, streams and queued response pieces (each stream also counts in
     *     {@code connections}: to the API it is a connection of its own)
     * @param tokens live access-token handles
     * @param localAllocs live {@code LocalAlloc} blocks
     * @param cacheEntries live kernel-cache entries: cached responses and fragments (all go when their queue
     *     closes)
     * @param cacheHits responses answered from the kernel cache without the application seeing the request
     *     (cumulative since the library loaded, not a live count)
     */
    public record Counters(long sessions, long urlGroups, long queues, long ports, long connections, long requests,
                           long pendingOverlapped, long bufferedBytes, long completionsNotPending, long http2Objects,
                           long tokens, long localAllocs, long cacheEntries, long cacheHits)
    {
        /**
         * @return whether no live object is left ({@link #completionsNotPending} and {@link #cacheHits} are
         *     cumulative and not part of it)
         */
        public boolean allZero()
        {
            return sessions == 0 && urlGroups == 0 && queues == 0 && ports == 0 && connections == 0 && requests == 0 &&
                pendingOverlapped == 0 && bufferedBytes == 0 && http2Objects == 0 && tokens == 0 && localAllocs == 0 &&
                cacheEntries == 0;
        }
    }

    /**
     * @return the counters now
     */
    public static Counters counters()
    {
        requireAvailable();
        try (Memory m = new Memory(112))
        {
            int rc = HttpEmuGetCounters(m, 112);
            if (rc != 0)
                throw new IllegalStateException("HttpEmuGetCounters failed: " + rc);
            return new Counters(m.getLong(0), m.getLong(8), m.getLong(16), m.getLong(24), m.getLong(32), m.getLong(40),
                m.getLong(48), m.getLong(56), m.getLong(64), m.getLong(72), m.getLong(80), m.getLong(88), m.getLong(96),
                m.getLong(104));
        }
    }

    /**
     * Polls the counters until all are zero or the timeout passes (closing is asynchronous).
     *
     * @param timeout how long to wait
     * @return the last reading, for the caller to assert on
     */
    public static Counters awaitAllZero(Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        Counters c = counters();
        while (!c.allZero() && System.nanoTime() < deadline)
        {
            try
            {
                Thread.sleep(5);
            }
            catch (InterruptedException x)
            {
                Thread.currentThread().interrupt();
                break;
            }
            c = counters();
        }
        return c;
    }

    /**
     * Makes the next {@code count} calls of {@code function} fail with {@code win32Error}.
     *
     * @param function an exported function name, such as {@code HttpReceiveHttpRequest}
     * @param count how many calls fail
     * @param win32Error the Win32 error they return
     */
    public static void failNext(String function, int count, int win32Error)
    {
        requireAvailable();
        if (HttpEmuFailNext(function, count, win32Error) != 0)
            throw new IllegalArgumentException("Not an emulated function: " + function);
    }

    /**
     * Cancels every injected fault.
     */
    public static void clearFaults()
    {
        requireAvailable();
        HttpEmuClearFaults();
    }

    /**
     * @param function an exported function name
     * @return how many times it was called since the last reset
     */
    public static long callCount(String function)
    {
        requireAvailable();
        return HttpEmuGetCallCount(function);
    }

    /**
     * @return all API calls since the last reset
     */
    public static long totalCalls()
    {
        requireAvailable();
        return HttpEmuGetCallCount(null);
    }

    /**
     * Sets every call count back to zero.
     */
    public static void resetCallCounts()
    {
        requireAvailable();
        HttpEmuResetCallCounts();
    }

    /**
     * Turns strict mode on or off (also on from the start with the environment variable {@code HTTPEMU_STRICT=1}).
     * In strict mode every caller byte range an operation was given (send chunks, header strings, the unused
     * tail of receive buffers) is overwritten with {@code 0xDD} when the operation completes, so a buffer freed,
     * reused or shared before its completion shows up as wrong bytes instead of passing.
     *
     * @param on whether strict mode is on
     * @return whether it was on before
     */
    public static boolean setStrict(boolean on)
    {
        requireAvailable();
        return HttpEmuSetStrict(on ? 1 : 0) != 0;
    }

    private static void requireAvailable()
    {
        if (!AVAILABLE)
            throw new IllegalStateException("The jetty-httpsys emulator (libhttpapi.so) is not on the classpath");
    }

    /**
     * Stands in for importing a certificate into LocalMachine\My: the PEM file holds the certificate
     * (and its chain) and the private key.
     *
     * @param pem the PEM file
     * @return the certificate's SHA-1 thumbprint, the key HTTP.sys bindings name it by
     */
    public static byte[] addCertificate(java.nio.file.Path pem)
    {
        requireAvailable();
        byte[] thumbprint = new byte[20];
        int rc = HttpEmuAddCertificate(pem.toAbsolutePath().toString(), thumbprint);
        if (rc != 0)
            throw new IllegalArgumentException("HttpEmuAddCertificate(" + pem + ") failed: Win32 error " + rc);
        return thumbprint;
    }

    /**
     * Empties the certificate store and removes every certificate binding.
     */
    public static void clearCertificates()
    {
        requireAvailable();
        HttpEmuClearCertificates();
    }

    /**
     * Runs the process as an administrator (the default) or as an ordinary user (also from the start with
     * the environment variable {@code HTTPEMU_UNELEVATED=1}). An ordinary user gets {@code ERROR_ACCESS_DENIED}
     * when writing certificate bindings or URL ACL reservations, and when registering a {@code +} or {@code *}
     * prefix that no reservation grants (F-106, F-193).
     *
     * @param on whether the process is an administrator
     * @return whether it was one before
     */
    public static boolean setElevated(boolean on)
    {
        requireAvailable();
        return HttpEmuSetElevated(on ? 1 : 0) != 0;
    }

    /**
     * Forgets every URL ACL reservation.
     */
    public static void clearUrlAcls()
    {
        requireAvailable();
        HttpEmuClearUrlAcls();
    }

    /**
     * Stands in for a Windows account that HTTP.sys's Basic authentication validates (F-142): the account,
     * its domain and groups get SIDs derived from their names, the same in every run.
     *
     * @param domainUser {@code DOMAIN\\user}
     * @param password its password
     * @param groups its groups, {@code DOMAIN\\Group} each
     */
    public static void addAccount(String domainUser, String password, String... groups)
    {
        requireAvailable();
        try (Memory u = utf16(domainUser); Memory p = utf16(password); Memory g = utf16(String.join(",", groups)))
        {
            int rc = HttpEmuAddAccount(u, p, g);
            if (rc != 0)
                throw new IllegalArgumentException("HttpEmuAddAccount(" + domainUser + ") failed: Win32 error " + rc);
        }
    }

    /**
     * Forgets every account.
     */
    public static void clearAccounts()
    {
        requireAvailable();
        HttpEmuClearAccounts();
    }

    private static Memory utf16(String s)
    {
        byte[] b = (s + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        Memory m = new Memory(b.length);
        m.write(0, b, 0, b.length);
        return m;
    }
}
