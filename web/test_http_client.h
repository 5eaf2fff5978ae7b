// Test support: a blocking HTTP/1.1 client over TCP, one request per connection
// ("Connection: close"), for the web server's tests. Not for production use: no TLS, no
// redirects, whole responses in memory.
#ifndef VIDX_WEB_TEST_HTTP_CLIENT_H_
#define VIDX_WEB_TEST_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vidx::testing {

struct TestResponse {
  int status = 0;                                   // 0 when nothing came back (error says why)
  std::string error;                                // why the call failed
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;                                 // de-chunked

  // The first value of a header (lower-case name), "" when absent.
  std::string Header(const std::string& lower_name) const;
  bool Has(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
};

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

// `address` is "HOST:PORT" or "[V6]:PORT"; `target` "/path?query". A Host header and
// Content-Length (for a body or POST) are added.
TestResponse HttpCall(const std::string& address, const std::string& method,
                      const std::string& target, const TestHeaders& headers = {},
                      const std::string& body = "", double timeout_seconds = 20);

}  // namespace vidx::testing

#endif  // VIDX_WEB_TEST_HTTP_CLIENT_H_
