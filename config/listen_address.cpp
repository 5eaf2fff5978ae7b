#include "config/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>

namespace vidx {

std::string ListenAddress::ToString() const {
  const std::string p = std::to_string(port);
  return ipv6 ? "[" + host + "]:" + p : host + ":" + p;
}

StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(quoted + " is not IPV4:PORT or [IPV6]:PORT (" + why + ")");
  };
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("no ']' after the IPv6 address");
    a.ipv6 = true;
    a.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("no ':PORT' after ']'");
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no ':PORT'");
    a.host = std::string(text.substr(0, colon));
    if (a.host.find(':') != std::string::npos) return bad("an IPv6 address needs brackets");
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return bad("the port must be a number 0..65535");
  uint32_t value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return bad("the port must be a number 0..65535");
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return bad("the port must be a number 0..65535");
  a.port = static_cast<uint16_t>(value);
  if (a.ipv6) {
    in6_addr v6{};
    if (::inet_pton(AF_INET6, a.host.c_str(), &v6) != 1) return bad("not an IPv6 address");
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6) ||
                 (std::memcmp(v6.s6_addr, kMapped, 12) == 0 && v6.s6_addr[12] == 127);
    a.unspecified = IN6_IS_ADDR_UNSPECIFIED(&v6);
  } else {
    in_addr v4{};
    if (::inet_pton(AF_INET, a.host.c_str(), &v4) != 1) {
      return bad("the host must be a numeric IPv4 address such as 127.0.0.1");
    }
    const uint32_t host_order = ntohl(v4.s_addr);
    a.loopback = (host_order >> 24) == 127;
    a.unspecified = host_order == 0;
  }
  return a;
}

socklen_t ToSockaddr(const ListenAddress& a, sockaddr_storage* out) {
  *out = sockaddr_storage{};
  if (a.ipv6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(a.port);
    ::inet_pton(AF_INET6, a.host.c_str(), &in6->sin6_addr);
    return sizeof(sockaddr_in6);
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(out);
  in4->sin_family = AF_INET;
  in4->sin_port = htons(a.port);
  ::inet_pton(AF_INET, a.host.c_str(), &in4->sin_addr);
  return sizeof(sockaddr_in);
}

}  // namespace vidx
