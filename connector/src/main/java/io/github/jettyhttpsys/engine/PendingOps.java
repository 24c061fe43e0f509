package io.github.jettyhttpsys.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The operations of a completion port that are issued and not yet completed, by OVERLAPPED address. A
 * completion is looked up by the raw address GetQueuedCompletionStatusEx returns, so the keys stay
 * primitive: no {@code Long} per issue, per completion or per lookup. Striped open-addressing tables
 * (linear probing, backward-shift removal), one lock per stripe, so completion threads and issuing
 * threads rarely meet on one lock.
 */
final class PendingOps
{
    private static final int STRIPES = 16;

    private final Stripe[] _stripes = new Stripe[STRIPES];

    PendingOps()
    {
        for (int i = 0; i < STRIPES; i++)
            _stripes[i] = new Stripe();
    }

    private static int hash(long address)
    {
        // OVERLAPPED blocks are at least 16-byte aligned: mix the high bits into the low ones.
        long h = address * 0x9E3779B97F4A7C15L;
        return (int)(h ^ (h >>> 32));
    }

    private Stripe stripe(int hash)
    {
        return _stripes[(hash >>> 28) & (STRIPES - 1)];
    }

    /** Registers an op; one already under its address is replaced. */
    void put(long address, NativeOp op)
    {
        int h = hash(address);
        Stripe s = stripe(h);
        synchronized (s)
        {
            s.put(address, h, op);
        }
    }

    /** @return the op under the address, removed, or null when none is */
    NativeOp remove(long address)
    {
        int h = hash(address);
        Stripe s = stripe(h);
        synchronized (s)
        {
            return s.remove(address, h);
        }
    }

    int size()
    {
        int n = 0;
        for (Stripe s : _stripes)
        {
            synchronized (s)
            {
                n += s.size;
            }
        }
        return n;
    }

    boolean isEmpty()
    {
        return size() == 0;
    }

    /** @return a copy of the ops pending now */
    List<NativeOp> values()
    {
        List<NativeOp> out = new ArrayList<>();
        for (Stripe s : _stripes)
        {
            synchronized (s)
            {
                for (NativeOp op : s.values)
                    if (op != null)
                        out.add(op);
            }
        }
        return out;
    }

    /** One table; every access holds its monitor. Address 0 is never a key (an OVERLAPPED is never null). */
    private static final class Stripe
    {
        long[] keys = new long[64];
        NativeOp[] values = new NativeOp[64];
        int size;

        void put(long key, int hash, NativeOp op)
        {
            if ((size + 1) * 4 > keys.length * 3)
                grow();
            int mask = keys.length - 1;
            for (int i = hash & mask; ; i = (i + 1) & mask)
            {
                if (keys[i] == 0)
                {
                    keys[i] = key;
                    values[i] = op;
                    size++;
                    return;
                }
                if (keys[i] == key)
                {
                    values[i] = op;
                    return;
                }
            }
        }

        NativeOp remove(long key, int hash)
        {
            int mask = keys.length - 1;
            int i = hash & mask;
            while (keys[i] != key)
            {
                if (keys[i] == 0)
                    return null;
                i = (i + 1) & mask;
            }
            NativeOp op = values[i];
            size--;
            // Backward shift: move later entries of the same probe run into the hole, so no lookup
            // stops at it early.
            for (int j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask)
            {
                int home = hash(keys[j]) & mask;
                // The entry at j may move to i when i lies on its probe path from home to j.
                boolean movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
                if (movable)
                {
                    keys[i] = keys[j];
                    values[i] = values[j];
                    i = j;
                }
            }
            keys[i] = 0;
            values[i] = null;
            return op;
        }

        private void grow()
        {
            long[] oldKeys = keys;
            NativeOp[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new NativeOp[oldKeys.length * 2];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++)
                if (oldKeys[i] != 0)
                    put(oldKeys[i], hash(oldKeys[i]), oldValues[i]);
        }
    }
}
