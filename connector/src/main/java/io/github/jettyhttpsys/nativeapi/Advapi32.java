package io.github.jettyhttpsys.nativeapi;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Direct-mapped bindings of the advapi32 functions that read an access token HTTP.sys hands out with
 * Windows authentication (F-139, F-140), and kernel32's {@code LocalFree} for what
 * {@code ConvertSidToStringSidW} allocates. Fixed-width types; BOOL as {@code int}; strings as UTF-16
 * buffers the caller reads, never as platform {@code wchar_t}.
 *
 * @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation">GetTokenInformation</a>
 */
public final class Advapi32
{
    /** TOKEN_INFORMATION_CLASS TokenUser (winnt.h; not a row of the reference table). */
    public static final int TokenUser = 1;
    /** TOKEN_INFORMATION_CLASS TokenGroups. */
    public static final int TokenGroups = 2;
    /** TOKEN_USER / TOKEN_GROUPS: SID_AND_ATTRIBUTES is {PSID Sid @0, DWORD Attributes @8}, 16 bytes; TOKEN_GROUPS.Groups @8. */
    public static final int SID_AND_ATTRIBUTES_SIZE = 16;
    public static final int TOKEN_GROUPS_GROUPS = 8;
    /** SE_GROUP_ENABLED: a group that counts for access checks. */
    public static final int SE_GROUP_ENABLED = 0x4;
    /** SE_GROUP_LOGON_ID: the logon session's own SID, not a group anyone names. */
    public static final int SE_GROUP_LOGON_ID = 0xC0000000;
    public static final int ERROR_INSUFFICIENT_BUFFER = 122;
    public static final int ERROR_NONE_MAPPED = 1332;

    static
    {
        Native.register(Advapi32.class, NativeLibraries.advapi32());
        Native.register(Local.class, NativeLibraries.kernel32());
    }

    private Advapi32()
    {
    }

    public static native int GetTokenInformation(Pointer token, int infoClass, Pointer info, int length, int[] returnLength);

    public static native int LookupAccountSidW(Pointer systemName, Pointer sid, Pointer name, int[] nameChars, Pointer domain, int[] domainChars, int[] use);

    /** @param stringSid receives the LPWSTR (8 bytes), freed with {@link #LocalFree} */
    public static native int ConvertSidToStringSidW(Pointer sid, Pointer stringSid);

    public static native int GetLengthSid(Pointer sid);

    /**
     * @param descriptor receives the PSECURITY_DESCRIPTOR (8 bytes), freed with {@link #LocalFree}
     * @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/sddl/nf-sddl-convertstringsecuritydescriptortosecuritydescriptorw">ConvertStringSecurityDescriptorToSecurityDescriptorW</a>
     */
    public static native int ConvertStringSecurityDescriptorToSecurityDescriptorW(Pointer sddl, int revision, Pointer descriptor, int[] size);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/winbase/nf-winbase-localfree">LocalFree</a> */
    public static Pointer LocalFree(Pointer memory)
    {
        return Local.LocalFree(memory);
    }

    private static final class Local
    {
        static native Pointer LocalFree(Pointer memory);
    }
}
