package io.github.jettyhttpsys.nativeapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * Reads the access token HTTP.sys hands out for an authenticated request (F-139, F-140): the user's
 * and the enabled groups' SIDs, resolved to {@code DOMAIN\name} with {@code LookupAccountSidW} as .NET's
 * WindowsIdentity does. Names are cached by SID (a lookup may ask a domain controller).
 */
public final class AccessToken
{
    private static final int CACHE_MAX = 10_000;
    private static final Map<String, String> NAMES = new ConcurrentHashMap<>();

    /** A SID in its string form and the account it names ({@code DOMAIN\name}; the SID itself when unmapped). */
    public record Account(String sid, String name)
    {
    }

    /** What a token says: its user and its enabled groups (the logon-session SID left out). */
    public record Info(Account user, List<Account> groups)
    {
    }

    private AccessToken()
    {
    }

    /**
     * @param token an access token handle (not closed here)
     * @return its user and groups
     * @throws IllegalStateException when the token cannot be read
     */
    public static Info read(Pointer token)
    {
        Account user;
        try (Memory u = query(token, Advapi32.TokenUser))
        {
            user = account(u.getPointer(0));
        }
        List<Account> groups = new ArrayList<>();
        try (Memory g = query(token, Advapi32.TokenGroups))
        {
            int count = g.getInt(0);
            for (int i = 0; i < count; i++)
            {
                long at = Advapi32.TOKEN_GROUPS_GROUPS + (long)i * Advapi32.SID_AND_ATTRIBUTES_SIZE;
                int attributes = g.getInt(at + 8);
                if ((attributes & Advapi32.SE_GROUP_ENABLED) == 0 || (attributes & Advapi32.SE_GROUP_LOGON_ID) == Advapi32.SE_GROUP_LOGON_ID)
                    continue;
                groups.add(account(g.getPointer(at)));
            }
        }
        return new Info(user, List.copyOf(groups));
    }

    /** GetTokenInformation with its sizing protocol: a first call says how much, the second fills it. */
    private static Memory query(Pointer token, int infoClass)
    {
        int[] needed = new int[1];
        Advapi32.GetTokenInformation(token, infoClass, null, 0, needed);
        if (needed[0] <= 0)
            throw new IllegalStateException("GetTokenInformation(" + infoClass + ") gave no size: " + Layout.describeError(com.sun.jna.Native.getLastError()));
        Memory m = new Memory(needed[0]);
        if (Advapi32.GetTokenInformation(token, infoClass, m, needed[0], needed) == 0)
        {
            int error = com.sun.jna.Native.getLastError();
            m.close();
            throw new IllegalStateException("GetTokenInformation(" + infoClass + ") failed: " + Layout.describeError(error));
        }
        return m;
    }

    private static Account account(Pointer sid)
    {
        String text = sidString(sid);
        String name = NAMES.get(text);
        if (name == null)
        {
            name = lookup(sid, text);
            if (NAMES.size() >= CACHE_MAX)
                NAMES.clear();
            NAMES.put(text, name);
        }
        return new Account(text, name);
    }

    private static String sidString(Pointer sid)
    {
        Pointer text;
        try (Memory out = new Memory(8))
        {
            out.setPointer(0, null);
            if (Advapi32.ConvertSidToStringSidW(sid, out) == 0 || (text = out.getPointer(0)) == null)
                throw new IllegalStateException("ConvertSidToStringSidW failed: " + Layout.describeError(com.sun.jna.Native.getLastError()));
        }
        try
        {
            return utf16z(text);
        }
        finally
        {
            Advapi32.LocalFree(text);
        }
    }

    /** LookupAccountSidW on the local machine (and its domain), sized by a first call. */
    private static String lookup(Pointer sid, String text)
    {
        int[] nameChars = {0};
        int[] domainChars = {0};
        int[] use = {0};
        Advapi32.LookupAccountSidW(null, sid, null, nameChars, null, domainChars, use);
        int error = com.sun.jna.Native.getLastError();
        if (error == Advapi32.ERROR_NONE_MAPPED || nameChars[0] <= 0)
            return text; // a SID no account has (a deleted user, a foreign domain): named by itself
        try (Memory name = new Memory(nameChars[0] * 2L); Memory domain = new Memory(Math.max(1, domainChars[0]) * 2L))
        {
            if (Advapi32.LookupAccountSidW(null, sid, name, nameChars, domain, domainChars, use) == 0)
                return text;
            String n = utf16z(name);
            String d = domainChars[0] == 0 ? "" : utf16z(domain);
            return d.isEmpty() ? n : d + "\\" + n;
        }
    }

    /**
     * @param p a NUL-terminated UTF-16LE string in native memory
     * @return it, read as 16-bit units (never as the platform's wchar_t)
     */
    public static String utf16z(Pointer p)
    {
        StringBuilder b = new StringBuilder();
        for (long i = 0; ; i += 2)
        {
            char c = (char)p.getShort(i);
            if (c == 0)
                return b.toString();
            b.append(c);
        }
    }
}
