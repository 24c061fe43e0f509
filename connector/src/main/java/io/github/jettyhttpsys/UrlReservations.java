package io.github.jettyhttpsys;

import java.util.LinkedHashMap;
import java.util.Map;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.github.jettyhttpsys.nativeapi.HttpApi;
import io.github.jettyhttpsys.nativeapi.Layout;

/**
 * HTTP.sys URL ACL reservations from Java: what {@code netsh http add urlacl}, {@code delete urlacl} and
 * {@code show urlacl} do, through {@code HttpSetServiceConfiguration} with {@code HttpServiceConfigUrlAclInfo}
 * (F-113). A reservation lets an account that is not an administrator register a prefix with a strong
 * ({@code +}) or weak ({@code *}) wildcard, or a host name other than {@code localhost} (F-106, F-193): an
 * administrator reserves once, the service then runs as an ordinary account. Writing needs an
 * administrator; without one the error names the netsh command to run. Reading works for anyone.
 */
public final class UrlReservations
{
    /** The DACL netsh writes for {@code user=Everyone}: execute (register) for the Everyone group. */
    public static final String EVERYONE = "D:(A;;GX;;;WD)";

    private UrlReservations()
    {
    }

    /**
     * Reserves a prefix.
     *
     * @param prefix the URL prefix as the connector registers it, ending with {@code /}, such as {@code http://+:80/app/}
     * @param sddl who may register it, as a security descriptor string; {@link #EVERYONE} for anyone, or
     *             {@code D:(A;;GX;;;SID)} for one account (its SID, as {@code whoami /user} shows)
     * @throws IllegalStateException when HTTP.sys refuses, with the netsh command for an administrator
     */
    public static void add(String prefix, String sddl)
    {
        check(prefix);
        if (sddl == null || !sddl.startsWith("D:"))
            throw new IllegalArgumentException("a security descriptor string with a DACL, such as " + EVERYONE + ": " + sddl);
        try (Memory url = HttpServiceConfig.utf16(prefix); Memory descriptor = HttpServiceConfig.utf16(sddl);
             Memory set = new Memory(Layout.HTTP_SERVICE_CONFIG_URLACL_SET_SIZE))
        {
            set.setPointer(0, url);
            set.setPointer(Layout.URLACL_SET_PARAM_DESC, descriptor);
            int rc = HttpServiceConfig.call(() ->
                HttpApi.HttpSetServiceConfiguration(null, Layout.HttpServiceConfigUrlAclInfo, set, Layout.HTTP_SERVICE_CONFIG_URLACL_SET_SIZE, null));
            if (rc != Layout.NO_ERROR)
                throw HttpServiceConfig.refused("reserving " + prefix, rc, "netsh http add urlacl url=" + prefix + " sddl=" + sddl);
        }
    }

    /**
     * Removes a reservation.
     *
     * @param prefix the reserved prefix
     * @return false when there was none
     * @throws IllegalStateException when HTTP.sys refuses, with the netsh command for an administrator
     */
    public static boolean delete(String prefix)
    {
        check(prefix);
        try (Memory url = HttpServiceConfig.utf16(prefix); Memory set = new Memory(Layout.HTTP_SERVICE_CONFIG_URLACL_SET_SIZE))
        {
            set.clear();
            set.setPointer(0, url);
            int rc = HttpServiceConfig.call(() ->
                HttpApi.HttpDeleteServiceConfiguration(null, Layout.HttpServiceConfigUrlAclInfo, set, Layout.HTTP_SERVICE_CONFIG_URLACL_SET_SIZE, null));
            if (rc == Layout.ERROR_FILE_NOT_FOUND)
                return false;
            if (rc != Layout.NO_ERROR)
                throw HttpServiceConfig.refused("deleting the reservation of " + prefix, rc, "netsh http delete urlacl url=" + prefix);
            return true;
        }
    }

    /**
     * @return every reservation of the machine, prefix to security descriptor string, in HTTP.sys's order
     */
    public static Map<String, String> list()
    {
        Map<String, String> all = new LinkedHashMap<>();
        int rc = HttpServiceConfig.call(() ->
        {
            try (Memory query = new Memory(Layout.HTTP_SERVICE_CONFIG_URLACL_QUERY_SIZE))
            {
                for (int token = 0; ; token++)
                {
                    query.clear();
                    query.setInt(0, Layout.HttpServiceConfigQueryNext);
                    query.setInt(Layout.URLACL_QUERY_TOKEN, token);
                    int[] needed = new int[1];
                    int r = HttpApi.HttpQueryServiceConfiguration(null, Layout.HttpServiceConfigUrlAclInfo, query,
                        Layout.HTTP_SERVICE_CONFIG_URLACL_QUERY_SIZE, null, 0, needed, null);
                    if (r != Layout.ERROR_INSUFFICIENT_BUFFER)
                        return r == Layout.ERROR_NO_MORE_ITEMS ? Layout.NO_ERROR : r;
                    try (Memory out = new Memory(needed[0]))
                    {
                        r = HttpApi.HttpQueryServiceConfiguration(null, Layout.HttpServiceConfigUrlAclInfo, query,
                            Layout.HTTP_SERVICE_CONFIG_URLACL_QUERY_SIZE, out, needed[0], needed, null);
                        if (r != Layout.NO_ERROR)
                            return r;
                        all.put(utf16z(out.getPointer(0)), utf16z(out.getPointer(Layout.URLACL_SET_PARAM_DESC)));
                    }
                }
            }
        });
        if (rc != Layout.NO_ERROR)
            throw HttpServiceConfig.refused("listing the reservations", rc, "netsh http show urlacl");
        return all;
    }

    /**
     * The one-line command:
     * <pre>
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.UrlReservations add http://+:80/app/ [SDDL]
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.UrlReservations delete http://+:80/app/
     * java -cp "lib/httpsys/*" io.github.jettyhttpsys.UrlReservations list
     * </pre>
     *
     * @param args {@code add PREFIX [SDDL]} (Everyone when no SDDL), {@code delete PREFIX} or {@code list}
     */
    public static void main(String... args)
    {
        if ((args.length == 2 || args.length == 3) && args[0].equals("add"))
        {
            add(args[1], args.length == 3 ? args[2] : EVERYONE);
            System.out.println("reserved " + args[1]);
        }
        else if (args.length == 2 && args[0].equals("delete"))
        {
            System.out.println(delete(args[1]) ? "deleted the reservation of " + args[1] : "no reservation for " + args[1]);
        }
        else if (args.length == 1 && args[0].equals("list"))
        {
            list().forEach((prefix, sddl) -> System.out.println(prefix + " " + sddl));
        }
        else
        {
            throw new IllegalArgumentException("usage: add PREFIX [SDDL] | delete PREFIX | list");
        }
    }

    private static void check(String prefix)
    {
        if (prefix == null || !(prefix.startsWith("http://") || prefix.startsWith("https://")) || !prefix.endsWith("/"))
            throw new IllegalArgumentException("a URL prefix such as http://+:80/app/ (scheme, host, port, path ending with /): " + prefix);
    }

    private static String utf16z(Pointer p)
    {
        return io.github.jettyhttpsys.nativeapi.AccessToken.utf16z(p);
    }
}
