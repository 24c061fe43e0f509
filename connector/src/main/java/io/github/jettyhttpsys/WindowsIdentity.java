package io.github.jettyhttpsys;

import java.security.Principal;
import java.util.List;

/**
 * The Windows user HTTP.sys authenticated for a request (Negotiate/Kerberos, NTLM or Basic in the kernel,
 * F-132…F-143), read from its access token when the request arrived; the token itself is closed then. A
 * request attribute ({@link #ATTRIBUTE}) for the application, and what {@link HttpSysAuthenticator} turns
 * into Jetty's user identity: principal {@code DOMAIN\\user}, groups as roles.
 */
public final class WindowsIdentity implements Principal
{
    /** The request attribute that holds the identity of an authenticated request. */
    public static final String ATTRIBUTE = "io.github.jettyhttpsys.WindowsIdentity";

    private final String _name;
    private final String _sid;
    private final List<String> _groups;
    private final List<String> _groupSids;
    private final String _scheme;
    private final boolean _cached;

    WindowsIdentity(String name, String sid, List<String> groups, List<String> groupSids, String scheme, boolean cached)
    {
        _name = name;
        _sid = sid;
        _groups = List.copyOf(groups);
        _groupSids = List.copyOf(groupSids);
        _scheme = scheme;
        _cached = cached;
    }

    /** @return {@code DOMAIN\\user} */
    @Override
    public String getName()
    {
        return _name;
    }

    /** @return the user's SID, as {@code S-1-5-21-…} */
    public String getSid()
    {
        return _sid;
    }

    /** @return the user's enabled groups, {@code DOMAIN\Group} each (a SID where no account names it) */
    public List<String> getGroups()
    {
        return _groups;
    }

    /** @return the SIDs of {@link #getGroups()}, in the same order */
    public List<String> getGroupSids()
    {
        return _groupSids;
    }

    /** @return the scheme HTTP.sys used: {@code Negotiate}, {@code Kerberos}, {@code NTLM} or {@code Basic} */
    public String getAuthenticationScheme()
    {
        return _scheme;
    }

    /** @return whether HTTP.sys authenticated this request from the connection's earlier handshake (F-137) */
    public boolean isFromCachedCredentials()
    {
        return _cached;
    }

    @Override
    public String toString()
    {
        return "WindowsIdentity[" + _name + "," + _sid + "," + _scheme + (_cached ? ",cached" : "") + "]";
    }
}
