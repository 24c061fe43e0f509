/* Linux stand-in for <winsock2.h>, enough for the httpapi-probe scenarios on the emulator. */
#ifndef DIFF_WINSOCK2_H
#define DIFF_WINSOCK2_H
#include <arpa/inet.h>
#include "windows.h"
#endif
