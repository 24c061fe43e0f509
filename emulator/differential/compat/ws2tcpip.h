/* Linux stand-in for <ws2tcpip.h>. */
#include "winsock2.h"
