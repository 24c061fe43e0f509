package io.github.jettyhttpsys.nativeapi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every size, offset and constant {@link Layout} relies on equals the Windows x64 table
 * (httpapi-x64-layout.md, from mingw-w64's http.h). The numbers are kept as a test resource
 * ({@code httpapi-x64-layout.tsv}); when the team's shared reference is beside the repository, the
 * resource is checked against it too.
 */
public class LayoutTest
{
    @Test
    public void everyNumberTheCodeUsesMatchesTheReferenceTable() throws IOException
    {
        Map<String, Long> expected = readResource();
        Map<String, Long> used = Layout.numbers();
        assertTrue(used.size() > 100, "numbers checked: " + used.size());
        for (Map.Entry<String, Long> e : used.entrySet())
        {
            assertNotNull(expected.get(e.getKey()), "not in the reference table: " + e.getKey());
            assertEquals(expected.get(e.getKey()), e.getValue(), e.getKey());
        }
        for (Map.Entry<String, Long> e : expected.entrySet())
            assertEquals(e.getValue(), used.get(e.getKey()), "resource row unused or different: " + e.getKey());
    }

    @Test
    public void resourceAgreesWithTheSharedReference() throws IOException
    {
        Path md = findReference();
        Assumptions.assumeTrue(md != null, "../shared/reference/httpapi-x64-layout.md not present");
        Map<String, Long> table = parse(Files.readAllLines(md, StandardCharsets.UTF_8));
        for (Map.Entry<String, Long> e : readResource().entrySet())
            assertEquals(table.get(e.getKey()), e.getValue(), e.getKey());
    }

    /**
     * The SNI binding struct (F-114) is not a row of the reference table; its offsets follow from rows
     * that are (SSL_SET's ParamDesc size) and from SOCKADDR_STORAGE's fixed 128 bytes, and the emulator's C
     * header pins the same numbers with static assertions.
     */
    @Test
    public void sniBindingLayoutFollowsFromTheTable() throws IOException
    {
        Map<String, Long> table = readResource();
        long param = table.get("HTTP_SERVICE_CONFIG_SSL_SET") - table.get("HTTP_SERVICE_CONFIG_SSL_SET.ParamDesc");
        assertEquals(80, param);
        assertEquals(128, Layout.SSL_SNI_KEY_HOST);
        assertEquals(Layout.SSL_SNI_KEY_HOST + 8, Layout.SSL_SNI_SET_PARAM_DESC);
        assertEquals(Layout.SSL_SNI_SET_PARAM_DESC + param, Layout.HTTP_SERVICE_CONFIG_SSL_SNI_SET_SIZE);
        assertEquals(216, Layout.HTTP_SERVICE_CONFIG_SSL_SNI_SET_SIZE);
    }

    private static Path findReference()
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            Path p = dir.resolveSibling("shared").resolve("reference").resolve("httpapi-x64-layout.md");
            if (Files.isRegularFile(p))
                return p;
        }
        return null;
    }

    static Map<String, Long> readResource() throws IOException
    {
        Map<String, Long> map = new LinkedHashMap<>();
        try (InputStream in = LayoutTest.class.getResourceAsStream("/httpapi-x64-layout.tsv"))
        {
            assertNotNull(in, "httpapi-x64-layout.tsv missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; )
            {
                if (line.isBlank() || line.startsWith("#"))
                    continue;
                String[] f = line.split("\t");
                map.put(f[0], Long.decode(f[1]));
            }
        }
        return map;
    }

    private static final Pattern STRUCT = Pattern.compile("^### (\\w+) — size (\\d+), align \\d+");
    private static final Pattern ROW = Pattern.compile("^\\| ([\\w.]+) \\| ([^|]*) \\| (-?\\d+) \\| ([^|]*) \\|");
    private static final Pattern CONSTANT = Pattern.compile("^\\| (\\w+) \\| (-?\\d+) \\| (0x[0-9A-Fa-f]+) \\|");

    /** Struct sizes as NAME, field offsets as NAME.field, constants by name. */
    static Map<String, Long> parse(List<String> lines)
    {
        Map<String, Long> map = new LinkedHashMap<>();
        String struct = null;
        boolean constants = false;
        for (String line : lines)
        {
            Matcher m = STRUCT.matcher(line);
            if (m.find())
            {
                struct = m.group(1);
                map.put(struct, Long.parseLong(m.group(2)));
                continue;
            }
            if (line.startsWith("## Constants"))
            {
                constants = true;
                struct = null;
                continue;
            }
            if (line.startsWith("## ") || line.startsWith("### "))
                struct = constants ? null : struct;
            if (constants)
            {
                Matcher c = CONSTANT.matcher(line);
                if (c.find())
                    map.putIfAbsent(c.group(1), Long.parseLong(c.group(2)));
                continue;
            }
            Matcher r = ROW.matcher(line);
            if (r.find() && struct != null)
                map.put(struct + "." + r.group(1), Long.parseLong(r.group(3)));
        }
        return map;
    }
}
