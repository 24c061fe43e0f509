package io.github.jettyhttpsys;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import io.github.jettyhttpsys.emulator.HttpEmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Helpers shared by the connector's tests. */
final class TestSupport
{
    private TestSupport()
    {
    }

    static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0))
        {
            return s.getLocalPort();
        }
    }

    /** Open client connections the emulator holds; on Windows (no counters) 0, so fences fall back to the connector's own state. */
    static long emulatorConnections()
    {
        return HttpEmu.isAvailable() ? HttpEmu.counters().connections() : 0;
    }

    /**
     * Every native object is gone once the server stopped and the clients closed. On Windows (real
     * HTTP.sys) there are no counters to read; `netsh http show servicestate` in CI shows the state.
     */
    static void assertNothingLeaked()
    {
        if (!HttpEmu.isAvailable())
            return;
        HttpEmu.Counters c = HttpEmu.awaitAllZero(Duration.ofSeconds(10));
        assertTrue(c.allZero(), "emulator objects left behind: " + c);
        // A completion for an OVERLAPPED that no longer read STATUS_PENDING: the connector touched
        // (reused, rewrote) an OVERLAPPED while the operation was still in flight.
        assertEquals(0, c.completionsNotPending(), "completions of OVERLAPPEDs rewritten while pending: " + c);
    }
}
