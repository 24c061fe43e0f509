/* test_windows: behaviour measured on real Windows (behaviour reference chapter G, F-178..F-196) where
 * the emulator used to be kinder than HTTP.sys. Each test names its F-number. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;
static void test_session_before_initialize(void)
{
    /* F-191: HttpCreateServerSession before HttpInitialize fails with ERROR_INVALID_HANDLE. */
    HTTP_SERVER_SESSION_ID sid = 0;
    CHECK_EQ(HttpCreateServerSession(V2, &sid, 0), ERROR_INVALID_HANDLE);
    CHECK_EQ(sid, 0);
}

int main(void)
{
    test_session_before_initialize();
    CHECK(counters_zero(3000));
    return finish();
}
