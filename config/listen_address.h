// ListenAddress: the "HOST:PORT" of a TCP listener (the `web.listen` key), parsed without any
// name lookup: an IPv4 address in dotted form ("127.0.0.1:8421") or an IPv6 address in
// brackets ("[::1]:8421"); port 0 asks the kernel for a free port.
//
// Thread-safety: plain values and pure functions.
#ifndef VIDX_CONFIG_LISTEN_ADDRESS_H_
#define VIDX_CONFIG_LISTEN_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vidx {

struct ListenAddress {
  bool ipv6 = false;
  std::string host;  // the address as written, without brackets ("127.0.0.1", "::1")
  uint16_t port = 0;
  bool loopback = false;     // 127.0.0.0/8, ::1 or ::ffff:127.x.y.z
  bool unspecified = false;  // 0.0.0.0 or :: (every interface)

  // "127.0.0.1:8421" or "[::1]:8421".
  std::string ToString() const;
};

// kInvalidArgument (one sentence quoting `text`) for anything but IPV4:PORT or [IPV6]:PORT
// with PORT in 0..65535: host names, a missing port, an IPv6 address without brackets, a zone
// index ("fe80::1%eth0").
StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

// Fills `*out` with the sockaddr_in / sockaddr_in6 of `address` (as parsed, so the host is a
// valid literal) and returns its length, for bind(2) and connect(2).
socklen_t ToSockaddr(const ListenAddress& address, sockaddr_storage* out);

}  // namespace vidx

#endif  // VIDX_CONFIG_LISTEN_ADDRESS_H_
