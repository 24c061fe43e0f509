package io.github.jettyhttpsys.nativeapi;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Direct-mapped bindings of the kernel32 completion-port functions the connector calls (and
 * ntdll's {@code RtlNtStatusToDosError}), with the SDK's names. BOOL is returned as {@code int};
 * on failure the Win32 error is {@link Native#getLastError()} on both systems.
 *
 * @see <a href="https://learn.microsoft.com/en-us/windows/win32/fileio/i-o-completion-ports">I/O completion ports</a>
 */
public final class Kernel32
{
    static
    {
        Native.register(Kernel32.class, NativeLibraries.kernel32());
        Native.register(Ntdll.class, NativeLibraries.ntdll());
    }

    /** INVALID_HANDLE_VALUE. */
    public static final Pointer INVALID_HANDLE_VALUE = new Pointer(-1L);
    /** INFINITE. */
    public static final int INFINITE = 0xFFFFFFFF;

    private Kernel32()
    {
    }

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/fileio/createiocompletionport">CreateIoCompletionPort</a> */
    public static native Pointer CreateIoCompletionPort(Pointer fileHandle, Pointer existingCompletionPort, long completionKey, int numberOfConcurrentThreads);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/fileio/getqueuedcompletionstatusex-func">GetQueuedCompletionStatusEx</a> */
    public static native int GetQueuedCompletionStatusEx(Pointer completionPort, Pointer entries, int count, Pointer pNumEntriesRemoved, int milliseconds, int alertable);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/fileio/postqueuedcompletionstatus">PostQueuedCompletionStatus</a> */
    public static native int PostQueuedCompletionStatus(Pointer completionPort, int numberOfBytesTransferred, long completionKey, Pointer overlapped);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/fileio/cancelioex-func">CancelIoEx</a> */
    public static native int CancelIoEx(Pointer file, Pointer overlapped);

    /** FILE_SKIP_COMPLETION_PORT_ON_SUCCESS. */
    public static final byte FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
    /** FILE_SKIP_SET_EVENT_ON_HANDLE. */
    public static final byte FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/winbase/nf-winbase-setfilecompletionnotificationmodes">SetFileCompletionNotificationModes</a> */
    public static native int SetFileCompletionNotificationModes(Pointer fileHandle, byte flags);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/handleapi/nf-handleapi-closehandle">CloseHandle</a> */
    public static native int CloseHandle(Pointer object);

    /** @see <a href="https://learn.microsoft.com/en-us/windows/win32/api/winternl/nf-winternl-rtlntstatustodoserror">RtlNtStatusToDosError</a> */
    public static int RtlNtStatusToDosError(int status)
    {
        return Ntdll.RtlNtStatusToDosError(status);
    }

    private static final class Ntdll
    {
        static native int RtlNtStatusToDosError(int status);
    }
}
