// epoll(7) from the C library, which Swift's Glibc module does not expose. Linux only.
#if defined(__linux__)
#include <sys/epoll.h>
#endif
