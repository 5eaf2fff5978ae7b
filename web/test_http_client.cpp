#include "web/test_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/listen_address.h"

namespace vidx::testing {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Dechunk(const std::string& in, std::string* out) {
  size_t at = 0;
  while (true) {
    const size_t eol = in.find("\r\n", at);
    if (eol == std::string::npos) return false;
    const size_t n = std::strtoul(in.substr(at, eol - at).c_str(), nullptr, 16);
    at = eol + 2;
    if (n == 0) return true;
    if (at + n > in.size()) return false;
    out->append(in, at, n);
    at += n + 2;
  }
}

}  // namespace

std::string TestResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

TestResponse HttpCall(const std::string& address, const std::string& method,
                      const std::string& target, const TestHeaders& headers,
                      const std::string& body, double timeout_seconds) {
  TestResponse r;
  auto parsed = ParseListenAddress(address);
  if (!parsed.ok()) {
    r.error = parsed.status().message();
    return r;
  }
  const int fd = ::socket(parsed->ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.error = std::strerror(errno);
    return r;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_seconds);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (parsed->ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(parsed->port);
    ::inet_pton(AF_INET6, parsed->host.c_str(), &a->sin6_addr);
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(parsed->port);
    ::inet_pton(AF_INET, parsed->host.c_str(), &a->sin_addr);
    length = sizeof *a;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    r.error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return r;
  }
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer early (413) and close; read what it said
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) {
    r.error = "no complete response (" + std::to_string(raw.size()) + " bytes)";
    return r;
  }
  const std::string head = raw.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  const size_t sp = status_line.find(' ');
  r.status = sp == std::string::npos ? 0 : std::atoi(status_line.c_str() + sp + 1);
  while (line_end != std::string::npos) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers.emplace(Lower(line.substr(0, colon)), line.substr(v));
    }
    line_end = next;
  }
  std::string rest = raw.substr(head_end + 4);
  if (Lower(r.Header("transfer-encoding")) == "chunked") {
    if (!Dechunk(rest, &r.body)) r.error = "a truncated chunked body";
  } else {
    r.body = std::move(rest);
  }
  return r;
}

}  // namespace vidx::testing
