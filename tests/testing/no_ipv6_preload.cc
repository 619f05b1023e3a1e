// LD_PRELOAD'ed into sigd by ListenerTest.AHostWithoutIpv6ServesIpv4: socket(AF_INET6, ...)
// fails with EAFNOSUPPORT, as it does on a kernel booted with ipv6.disable=1 (which no test can
// switch on or off). Every other socket is the real one.

#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

extern "C" int socket(int domain, int type, int protocol) {
  if (domain == AF_INET6) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  using SocketFn = int (*)(int, int, int);
  static const auto real = reinterpret_cast<SocketFn>(dlsym(RTLD_NEXT, "socket"));
  return real(domain, type, protocol);
}
