/*
 * windows.h stand-in for the jetty-httpsys emulator: the Windows x64 (LLP64) base types, OVERLAPPED
 * and the kernel32 completion-port subset the HTTP Server API programs use. Fixed-width types only,
 * so every size equals its Windows x64 size (checked in http.h with _Static_assert).
 */
#ifndef EMU_WINDOWS_H
#define EMU_WINDOWS_H

#include <stdint.h>
#include <stddef.h>

#define WINAPI
#define VOID void
typedef uint8_t UCHAR, BOOLEAN, BYTE;
typedef UCHAR *PUCHAR;
typedef char CHAR;
typedef uint16_t USHORT, WCHAR, WORD;
typedef int16_t SHORT;
typedef uint32_t ULONG, DWORD;
typedef int32_t LONG, BOOL;
typedef unsigned long long ULONGLONG, ULONG_PTR, SIZE_T, DWORD_PTR;
typedef long long LONGLONG;
typedef void *HANDLE, *PVOID, *LPVOID;
typedef const void *LPCVOID;
typedef ULONG *PULONG;
typedef DWORD *LPDWORD, *PDWORD;
typedef USHORT *PUSHORT;
typedef ULONG_PTR *PULONG_PTR;
typedef HANDLE *PHANDLE;
typedef WCHAR *PWSTR, *LPWSTR;
typedef const WCHAR *PCWSTR, *LPCWSTR;
typedef CHAR *PSTR, *PCHAR;
typedef const CHAR *PCSTR;

#define TRUE 1
#define FALSE 0
#define INFINITE 0xFFFFFFFFu
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)

/* Win32 error codes (httpapi-x64-layout.md "error") */
#define NO_ERROR 0u
#define ERROR_SUCCESS 0u
#define ERROR_INVALID_FUNCTION 1u
#define ERROR_FILE_NOT_FOUND 2u
#define ERROR_PATH_NOT_FOUND 3u
#define ERROR_ACCESS_DENIED 5u
#define ERROR_INVALID_HANDLE 6u
#define ERROR_NOT_ENOUGH_MEMORY 8u
#define ERROR_OUTOFMEMORY 14u
#define ERROR_BAD_COMMAND 22u
#define ERROR_SHARING_VIOLATION 32u
#define ERROR_HANDLE_EOF 38u
#define ERROR_NOT_SUPPORTED 50u
#define ERROR_NETNAME_DELETED 64u
#define ERROR_INVALID_DATA 13u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_CALL_NOT_IMPLEMENTED 120u
#define ERROR_INSUFFICIENT_BUFFER 122u
#define ERROR_ALREADY_EXISTS 183u
#define ERROR_MORE_DATA 234u
#define ERROR_NO_MORE_ITEMS 259u
#define WAIT_TIMEOUT 258u
#define ERROR_ABANDONED_WAIT_0 735u
#define ERROR_OPERATION_ABORTED 995u
#define ERROR_IO_INCOMPLETE 996u
#define ERROR_IO_PENDING 997u
#define ERROR_NOACCESS 998u
#define ERROR_DLL_INIT_FAILED 1114u
#define ERROR_NOT_FOUND 1168u
#define ERROR_GRACEFUL_DISCONNECT 1226u
#define ERROR_CONNECTION_INVALID 1229u
#define ERROR_CONNECTION_ABORTED 1236u
#define ERROR_REVISION_MISMATCH 1306u
#define ERROR_NO_SUCH_LOGON_SESSION 1312u
#define ERROR_NOT_ENOUGH_QUOTA 1816u
#define ERROR_NO_SYSTEM_RESOURCES 1450u
#define ERROR_INVALID_ID_AUTHORITY 1343u
#define ERROR_NONE_MAPPED 1332u
#define ERROR_INVALID_SID 1337u
#define ERROR_NO_TOKEN 1008u

/* NTSTATUS values left in OVERLAPPED.Internal */
#define STATUS_SUCCESS 0x00000000u
#define STATUS_BUFFER_OVERFLOW 0x80000005u
#define STATUS_END_OF_FILE 0xC0000011u
#define STATUS_INVALID_PARAMETER 0xC000000Du
#define STATUS_NETWORK_NAME_DELETED 0xC00000C9u
#define STATUS_CANCELLED 0xC0000120u
#define STATUS_CONNECTION_INVALID 0xC000023Au
#define STATUS_CONNECTION_ABORTED 0xC0000241u
#define STATUS_NOT_FOUND 0xC0000225u
#define STATUS_OBJECT_PATH_NOT_FOUND 0xC000003Au
#define STATUS_PENDING 0x00000103u

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    }; /* anonymous, as in the SDK */
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef struct _OVERLAPPED_ENTRY {
    ULONG_PTR lpCompletionKey;
    LPOVERLAPPED lpOverlapped;
    ULONG_PTR Internal;
    DWORD dwNumberOfBytesTransferred;
} OVERLAPPED_ENTRY, *LPOVERLAPPED_ENTRY;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

#define FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 0x1
#define FILE_SKIP_SET_EVENT_ON_HANDLE 0x2

HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                              ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads);
BOOL GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                               PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
                               DWORD dwMilliseconds);
BOOL GetQueuedCompletionStatusEx(HANDLE CompletionPort, LPOVERLAPPED_ENTRY lpCompletionPortEntries,
                                 ULONG ulCount, PULONG ulNumEntriesRemoved, DWORD dwMilliseconds,
                                 BOOL fAlertable);
BOOL PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);
BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
BOOL CloseHandle(HANDLE hObject);
BOOL SetFileCompletionNotificationModes(HANDLE FileHandle, UCHAR Flags);
DWORD GetLastError(void);
HANDLE GetCurrentProcess(void); /* the pseudo handle (HANDLE)-1 */
#define DUPLICATE_CLOSE_SOURCE 0x1u
#define DUPLICATE_SAME_ACCESS 0x2u
BOOL DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
                     PHANDLE lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwOptions);

/* advapi32: reading an access token (F-139, F-140). Windows x64 layouts: a SID is
 * {Revision, SubAuthorityCount, IdentifierAuthority[6] big-endian, SubAuthority[] DWORD}. */
typedef PVOID PSID;
typedef HANDLE HLOCAL;
typedef struct _SID_AND_ATTRIBUTES { PSID Sid; DWORD Attributes; } SID_AND_ATTRIBUTES, *PSID_AND_ATTRIBUTES;
typedef struct _TOKEN_USER { SID_AND_ATTRIBUTES User; } TOKEN_USER, *PTOKEN_USER;
typedef struct _TOKEN_GROUPS { DWORD GroupCount; SID_AND_ATTRIBUTES Groups[1]; } TOKEN_GROUPS, *PTOKEN_GROUPS;
typedef enum _TOKEN_INFORMATION_CLASS { TokenUser = 1, TokenGroups = 2 } TOKEN_INFORMATION_CLASS;
typedef enum _SID_NAME_USE {
    SidTypeUser = 1, SidTypeGroup, SidTypeDomain, SidTypeAlias, SidTypeWellKnownGroup
} SID_NAME_USE, *PSID_NAME_USE;
#define SE_GROUP_MANDATORY 0x1u
#define SE_GROUP_ENABLED_BY_DEFAULT 0x2u
#define SE_GROUP_ENABLED 0x4u
BOOL GetTokenInformation(HANDLE TokenHandle, TOKEN_INFORMATION_CLASS TokenInformationClass, LPVOID TokenInformation,
                         DWORD TokenInformationLength, PDWORD ReturnLength);
BOOL LookupAccountSidW(LPCWSTR lpSystemName, PSID Sid, LPWSTR Name, LPDWORD cchName, LPWSTR ReferencedDomainName,
                       LPDWORD cchReferencedDomainName, PSID_NAME_USE peUse);
BOOL ConvertSidToStringSidW(PSID Sid, LPWSTR *StringSid);
HLOCAL LocalFree(HLOCAL hMem);
BOOL IsValidSid(PSID pSid);
DWORD GetLengthSid(PSID pSid);
void SetLastError(DWORD dwErrCode);
ULONG RtlNtStatusToDosError(ULONG Status);

#endif
