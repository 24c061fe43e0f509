package io.github.jettyhttpsys.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pending-op map against {@link HashMap}: random puts and removes of addresses as a port sees them
 * (16-byte aligned, clustered, reused after free), through growth and backward-shift removal.
 */
public class PendingOpsTest
{
    private final List<NativeOp> _ops = new ArrayList<>();

    private NativeOp op()
    {
        NativeOp op = new NativeOp(8)
        {
            @Override
            protected void completed(int error, int bytes)
            {
            }
        };
        _ops.add(op);
        return op;
    }

    @AfterEach
    public void free()
    {
        _ops.forEach(NativeOp::free);
    }

    @Test
    public void agreesWithAHashMap()
    {
        PendingOps pending = new PendingOps();
        Map<Long, NativeOp> oracle = new HashMap<>();
        NativeOp[] some = {op(), op(), op(), op()};
        Random random = new Random(42);
        long base = 0x7f3a_0000_0000L;
        for (int step = 0; step < 200_000; step++)
        {
            // A few thousand addresses 16 bytes apart, so probe runs collide, wrap and shift.
            long address = base + 16L * random.nextInt(3000);
            if (random.nextInt(3) == 0 || oracle.size() > 2500)
            {
                assertSame(oracle.remove(address), pending.remove(address), "remove 0x" + Long.toHexString(address));
            }
            else
            {
                NativeOp op = some[random.nextInt(some.length)];
                oracle.put(address, op);
                pending.put(address, op);
            }
            if (step % 10_000 == 0)
                assertEquals(oracle.size(), pending.size());
        }
        assertEquals(oracle.size(), pending.size());
        assertEquals(new HashSet<>(oracle.values()).size() > 0, !pending.values().isEmpty());
        for (Map.Entry<Long, NativeOp> e : oracle.entrySet())
            assertSame(e.getValue(), pending.remove(e.getKey()));
        assertTrue(pending.isEmpty());
        assertNull(pending.remove(base));
    }
}
