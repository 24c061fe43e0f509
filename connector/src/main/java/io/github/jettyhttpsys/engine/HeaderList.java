package io.github.jettyhttpsys.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The header lines of a response or a trailer section, in order, as {@link SendOp} lays them out:
 * names and values side by side in two arrays that grow and are kept, so a list reused for each
 * response allocates nothing once it is big enough. A value may be a number (a Content-Length),
 * kept as a {@code long} and written as its digits, without a String for it.
 */
public final class HeaderList
{
    /** No lines; adding to it fails. */
    public static final HeaderList EMPTY = new HeaderList(1, true);

    private String[] _names;
    private String[] _values;   // null where the value is the number in _numbers
    private long[] _numbers;
    private int _size;
    private final boolean _fixed;

    public HeaderList()
    {
        this(8);
    }

    public HeaderList(int capacity)
    {
        this(capacity, false);
    }

    private HeaderList(int capacity, boolean fixed)
    {
        _fixed = fixed;
        int c = Math.max(1, capacity);
        _names = new String[c];
        _values = new String[c];
        _numbers = new long[c];
    }

    /** @return a list of the pairs name, value, name, value… */
    public static HeaderList of(String... pairs)
    {
        if (pairs.length % 2 != 0)
            throw new IllegalArgumentException("name without a value: " + pairs[pairs.length - 1]);
        HeaderList list = new HeaderList(pairs.length / 2);
        for (int i = 0; i < pairs.length; i += 2)
            list.add(pairs[i], pairs[i + 1]);
        return list;
    }

    /** Adds a line; name and value must be ISO-8859-1 text of at most 65535 characters each (checked when laid out). */
    public HeaderList add(String name, String value)
    {
        int i = slot();
        _names[i] = name;
        _values[i] = value;
        return this;
    }

    /** Adds a line whose value is the decimal digits of a number &gt;= 0. */
    public HeaderList addNumber(String name, long value)
    {
        if (value < 0)
            throw new IllegalArgumentException("negative header value: " + name + ": " + value);
        int i = slot();
        _names[i] = name;
        _values[i] = null;
        _numbers[i] = value;
        return this;
    }

    private int slot()
    {
        if (_fixed)
            throw new UnsupportedOperationException("the empty list takes no lines");
        if (_size == _names.length)
        {
            int c = _size * 2;
            _names = Arrays.copyOf(_names, c);
            _values = Arrays.copyOf(_values, c);
            _numbers = Arrays.copyOf(_numbers, c);
        }
        return _size++;
    }

    public int size()
    {
        return _size;
    }

    public boolean isEmpty()
    {
        return _size == 0;
    }

    public String name(int i)
    {
        check(i);
        return _names[i];
    }

    /** @return the value as text (a number's digits are made into a String here) */
    public String value(int i)
    {
        check(i);
        return _values[i] != null ? _values[i] : Long.toString(_numbers[i]);
    }

    /** @return the length in bytes of the value */
    public int valueLength(int i)
    {
        check(i);
        if (_values[i] != null)
            return _values[i].length();
        long n = _numbers[i];
        int digits = 1;
        while (n >= 10)
        {
            n /= 10;
            digits++;
        }
        return digits;
    }

    /**
     * Writes the value at an absolute index of a buffer, a character above 0xFF as '?'.
     *
     * @return the bytes written
     */
    int putValue(ByteBuffer v, int index, int i)
    {
        String s = _values[i];
        if (s != null)
            return SendOp.putLatin1(v, index, s);
        int length = valueLength(i);
        long n = _numbers[i];
        for (int k = index + length - 1; k >= index; k--)
        {
            v.put(k, (byte)('0' + n % 10));
            n /= 10;
        }
        return length;
    }

    /** Empties the list, keeping its arrays (and dropping its references). */
    public void clear()
    {
        Arrays.fill(_names, 0, _size, null);
        Arrays.fill(_values, 0, _size, null);
        _size = 0;
    }

    /** @return a list of its own with the same lines, for when this one is reused before those are laid out again */
    public HeaderList copy()
    {
        HeaderList c = new HeaderList(_size);
        System.arraycopy(_names, 0, c._names, 0, _size);
        System.arraycopy(_values, 0, c._values, 0, _size);
        System.arraycopy(_numbers, 0, c._numbers, 0, _size);
        c._size = _size;
        return c;
    }

    private void check(int i)
    {
        if (i < 0 || i >= _size)
            throw new IndexOutOfBoundsException(i + " of " + _size);
    }

    @Override
    public String toString()
    {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < _size; i++)
            b.append(i == 0 ? "" : ", ").append(_names[i]).append(": ").append(value(i));
        return b.append(']').toString();
    }
}
