#include "daemon/http_message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace vidx {
namespace {

using Result = HttpRequestParser::Result;

const char kPost[] =
    "POST /v1/search?k=5&x=%20y HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Content-Type:   application/json \t\r\n"
    "X-Empty:\r\n"
    "Content-Length: 25\r\n"
    "\r\n"
    "{\"text\": \"dog on beach\"}\n";

// Feeds `chunks` in order; returns the result of the last Feed().
Result FeedAll(HttpRequestParser* parser, const std::vector<std::string>& chunks) {
  Result r = Result::kNeedMore;
  for (const std::string& chunk : chunks) r = parser->Feed(chunk);
  return r;
}

HttpRequestParser ParseOne(const std::string& raw, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  parser.Feed(raw);
  return parser;
}

void ExpectSameRequest(const HttpRequest& a, const HttpRequest& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.body, b.body);
}

TEST(HttpRequestParserTest, ParsesPostWithBody) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.Feed(kPost), Result::kDone) << parser.error_message();
  const HttpRequest& r = parser.request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/search?k=5&x=%20y");
  EXPECT_EQ(r.path, "/v1/search");
  EXPECT_EQ(r.headers.at("host"), "localhost");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");  // trimmed
  EXPECT_EQ(r.headers.at("x-empty"), "");
  EXPECT_EQ(r.headers.at("content-length"), "25");
  EXPECT_EQ(r.body, "{\"text\": \"dog on beach\"}\n");
  EXPECT_FALSE(parser.expects_continue());
}

TEST(HttpRequestParserTest, ParsesGetWithoutBodyAndBareLineFeeds) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.Feed("\r\n\nGET /v1/status HTTP/1.0\nAccept: */*\nX-A: 1\nx-a: 2\n\n"),
            Result::kDone)
      << parser.error_message();
  EXPECT_EQ(parser.request().method, "GET");
  EXPECT_EQ(parser.request().path, "/v1/status");
  EXPECT_EQ(parser.request().headers.at("accept"), "*/*");
  EXPECT_EQ(parser.request().headers.at("x-a"), "1, 2");  // repeated headers joined in order
  EXPECT_EQ(parser.request().body, "");
}

TEST(HttpRequestParserTest, AbsoluteFormTargetGivesThePath) {
  auto p = ParseOne("GET http://localhost/v1/status?x=1 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.error_status(), 0) << p.error_message();
  EXPECT_EQ(p.request().target, "http://localhost/v1/status?x=1");
  EXPECT_EQ(p.request().path, "/v1/status");
  EXPECT_EQ(ParseOne("GET HTTP://h?q HTTP/1.1\r\n\r\n").request().path, "/");
  EXPECT_EQ(ParseOne("GET http:///x HTTP/1.1\r\n\r\n").error_status(), 400);
}

TEST(HttpRequestParserTest, SplitAtEveryByteBoundaryGivesTheSameRequest) {
  const std::string raw = kPost;
  HttpRequestParser whole;
  ASSERT_EQ(whole.Feed(raw), Result::kDone);
  for (size_t i = 0; i <= raw.size(); ++i) {
    HttpRequestParser parser;
    const Result first = parser.Feed(raw.substr(0, i));
    ASSERT_EQ(first, i == raw.size() ? Result::kDone : Result::kNeedMore) << "split at " << i;
    ASSERT_EQ(parser.Feed(raw.substr(i)), Result::kDone) << "split at " << i;
    ExpectSameRequest(parser.request(), whole.request());
  }
  // One byte at a time, and random chunkings into up to 8 pieces.
  HttpRequestParser bytewise;
  for (size_t i = 0; i < raw.size(); ++i) {
    ASSERT_EQ(bytewise.Feed(raw.substr(i, 1)),
              i + 1 == raw.size() ? Result::kDone : Result::kNeedMore);
  }
  ExpectSameRequest(bytewise.request(), whole.request());
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> cuts{0, raw.size()};
    for (int c = 0; c < 7; ++c) cuts.push_back(rng() % (raw.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::string> chunks;
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
      chunks.push_back(raw.substr(cuts[c], cuts[c + 1] - cuts[c]));
    }
    HttpRequestParser parser;
    ASSERT_EQ(FeedAll(&parser, chunks), Result::kDone);
    ExpectSameRequest(parser.request(), whole.request());
  }
}

TEST(HttpRequestParserTest, BytesAfterTheRequestAreIgnored) {
  // A pipelined second request, or garbage, after a complete one: one request per connection.
  const std::string raw = std::string(kPost) + "GARBAGE \x01\x02\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  HttpRequestParser parser;
  ASSERT_EQ(parser.Feed(raw), Result::kDone);
  EXPECT_EQ(parser.request().body, "{\"text\": \"dog on beach\"}\n");
  EXPECT_EQ(parser.Feed("more garbage"), Result::kDone);
  EXPECT_EQ(parser.request().body, "{\"text\": \"dog on beach\"}\n");

  HttpRequestParser get;
  ASSERT_EQ(get.Feed("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), Result::kDone);
  EXPECT_EQ(get.request().path, "/a");
}

TEST(HttpRequestParserTest, GarbageIsRefusedWith400AndStaysRefused) {
  for (const char* raw :
       {"\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n", "hello\r\n\r\n", "GET\r\n\r\n",
        "GET /x\r\n\r\n", "GET  /x HTTP/1.1\r\n\r\n", "GET /x  HTTP/1.1\r\n\r\n",
        "GET /x HTTP/1.1 \r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
        "GET * HTTP/1.1\r\n\r\n", "GET / FOO/1.1\r\n\r\n", "GET / HTTP/1\r\n\r\n",
        "GET / http/1.1\r\n\r\n", "GET / HTTP/1.1x\r\n\r\n", "GET /\x7f HTTP/1.1\r\n\r\n",
        "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", "GET /\tx HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\r\n\r\n"}) {
    HttpRequestParser parser;
    EXPECT_EQ(parser.Feed(raw), Result::kError) << raw;
    EXPECT_EQ(parser.error_status(), 400) << raw;
    EXPECT_FALSE(parser.error_message().empty());
    EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\n\r\n"), Result::kError);
  }
}

TEST(HttpRequestParserTest, OtherHttpMajorVersionsGet505) {
  for (const char* raw : {"GET / HTTP/2.0\r\n\r\n", "GET / HTTP/0.9\r\n\r\n"}) {
    auto p = ParseOne(raw);
    EXPECT_EQ(p.error_status(), 505) << raw;
  }
  EXPECT_EQ(ParseOne("GET / HTTP/1.9\r\n\r\n").error_status(), 0);  // a later 1.x is 1.1
}

TEST(HttpRequestParserTest, MalformedHeadersGet400) {
  for (const char* header : {"Bad Name: x", "Name : x", "NoColon", ": empty name", " folded: x",
                             "X-Nul: a\x01z", "X-Del: a\x7fz", "X-Cr: a\rb"}) {
    auto p = ParseOne(std::string("GET / HTTP/1.1\r\nHost: a\r\n") + header + "\r\n\r\n");
    EXPECT_EQ(p.error_status(), 400) << header;
  }
  // obs-text (bytes >= 0x80) and tabs are allowed in values.
  auto p = ParseOne("GET / HTTP/1.1\r\nX-Name: caf\xc3\xa9\tok\r\n\r\n");
  ASSERT_EQ(p.error_status(), 0) << p.error_message();
  EXPECT_EQ(p.request().headers.at("x-name"), "caf\xc3\xa9\tok");
}

TEST(HttpRequestParserTest, HeaderSectionOverTheLimitGets431WithoutWaitingForItsEnd) {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  // Exactly at the limit is fine.
  std::string head = "GET / HTTP/1.1\r\nX-Pad: ";
  head += std::string(1024 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 1024u);
  EXPECT_EQ(ParseOne(head, limits).error_status(), 0);
  // One byte more is not.
  std::string over =
      "GET / HTTP/1.1\r\nX-Pad: a" + head.substr(std::string("GET / HTTP/1.1\r\nX-Pad: ").size());
  EXPECT_EQ(ParseOne(over, limits).error_status(), 431);
  // An endless header is refused as soon as it passes the limit.
  HttpRequestParser parser(limits);
  ASSERT_EQ(parser.Feed("GET / HTTP/1.1\r\nX-Long: "), Result::kNeedMore);
  Result r = Result::kNeedMore;
  size_t fed = 0;
  while (r == Result::kNeedMore && fed < 10 * 1024) {
    r = parser.Feed(std::string(100, 'b'));
    fed += 100;
  }
  EXPECT_EQ(r, Result::kError);
  EXPECT_EQ(parser.error_status(), 431);
  EXPECT_LE(fed, 1100u);
  // So is an endless request line, and an endless run of blank lines.
  EXPECT_EQ(ParseOne("GET /" + std::string(2000, 'x') + " HTTP/1.1\r\n\r\n", limits).error_status(),
            431);
  EXPECT_EQ(ParseOne(std::string(2000, '\n'), limits).error_status(), 431);
  // The default limit is 16 KiB.
  EXPECT_EQ(
      ParseOne("GET / HTTP/1.1\r\nX: " + std::string(17 * 1024, 'c') + "\r\n\r\n").error_status(),
      431);
}

TEST(HttpRequestParserTest, BodyOverTheLimitGets413FromContentLengthAlone) {
  HttpRequestParser parser;  // default limit: 1 MiB
  // Only the head is fed: the parser decides before any of the body arrives.
  EXPECT_EQ(parser.Feed("POST /v1/x HTTP/1.1\r\nContent-Length: 2097152\r\n\r\n"), Result::kError);
  EXPECT_EQ(parser.error_status(), 413);
  // At the limit is fine.
  HttpLimits limits;
  limits.max_body_bytes = 10;
  HttpRequestParser exact(limits);
  EXPECT_EQ(exact.Feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"), Result::kDone);
  EXPECT_EQ(ParseOne("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits).error_status(), 413);
  // A length too large for any integer type is just too large.
  EXPECT_EQ(ParseOne("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n")
                .error_status(),
            413);
}

TEST(HttpRequestParserTest, InvalidOrConflictingContentLengthGets400) {
  for (const char* value : {"abc", "-1", "+5", "1 2", "", "5,", "0x10", "5, 6", "1.0"}) {
    auto p = ParseOne(std::string("POST / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n");
    EXPECT_EQ(p.error_status(), 400) << "'" << value << "'";
  }
  auto dup = ParseOne("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(dup.error_status(), 400);
  // Identical repeats name one length (RFC 9110 8.6) and are accepted.
  auto same = ParseOne("POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc");
  ASSERT_EQ(same.error_status(), 0) << same.error_message();
  EXPECT_EQ(same.request().body, "abc");
}

TEST(HttpRequestParserTest, TransferEncodingGets501) {
  for (const char* te : {"chunked", "gzip, chunked", "identity"}) {
    auto p = ParseOne(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: ") + te +
                      "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(p.error_status(), 501) << te;
  }
  auto both =
      ParseOne("POST / HTTP/1.1\r\nContent-Length: 5\r\ntransfer-encoding: chunked\r\n\r\n");
  EXPECT_EQ(both.error_status(), 501);
}

TEST(HttpRequestParserTest, UnboundedLimitsStillParse) {
  HttpLimits limits;
  limits.max_header_bytes = SIZE_MAX;
  limits.max_body_bytes = SIZE_MAX;
  HttpRequestParser parser(limits);
  EXPECT_EQ(parser.Feed("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\nab"),
            Result::kNeedMore);  // no up-front allocation of the announced length
}

TEST(HttpRequestParserTest, ExpectContinueIsReported) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.Feed("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"),
            Result::kNeedMore);
  EXPECT_TRUE(parser.expects_continue());
  EXPECT_EQ(parser.Feed("ok"), Result::kDone);
  EXPECT_EQ(parser.request().body, "ok");
}

TEST(HttpResponseTest, SerializesWithLengthAndClose) {
  HttpResponse response;
  response.status = 404;
  response.body = "{\"error\":\"no\"}";
  EXPECT_EQ(SerializeResponse(response),
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 14\r\n"
            "Connection: close\r\n\r\n{\"error\":\"no\"}");
  response.status = 299;
  response.content_type = "text/plain";
  response.body = "";
  EXPECT_EQ(SerializeResponse(response),
            "HTTP/1.1 299 Unknown\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HttpResponseTest, JsonErrorEscapesTheMessage) {
  HttpResponse e = JsonError(400, "bad \"quote\"\nand \\ and \xff byte");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.content_type, "application/json");
  auto json = nlohmann::json::parse(e.body);
  EXPECT_EQ(json.size(), 1u);
  const std::string message = json.at("error");
  EXPECT_EQ(message.substr(0, 25), "bad \"quote\"\nand \\ and \xef\xbf\xbd");  // U+FFFD
}

TEST(HttpResponseTest, ParseRoundTripsSerialize) {
  for (int status : {200, 404, 413, 500, 503}) {
    HttpResponse in;
    in.status = status;
    in.content_type = "text/plain; charset=utf-8";
    in.body = std::string("body\r\n\r\nwith blank lines ") + std::to_string(status);
    auto out = ParseHttpResponse(SerializeResponse(in));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->status, status);
    EXPECT_EQ(out->content_type, in.content_type);
    EXPECT_EQ(out->body, in.body);
  }
  // Without Content-Length the body runs to the end; extra bytes after a length are ignored.
  auto close_delimited = ParseHttpResponse("HTTP/1.0 200 OK\nContent-Type: a/b\n\nrest of it");
  ASSERT_TRUE(close_delimited.ok());
  EXPECT_EQ(close_delimited->body, "rest of it");
  auto extra = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcdef");
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->body, "ab");
  EXPECT_EQ(extra->content_type, "");
  auto no_reason = ParseHttpResponse("HTTP/1.1 204\r\n\r\n");
  ASSERT_TRUE(no_reason.ok());
  EXPECT_EQ(no_reason->status, 204);
}

TEST(HttpResponseTest, MalformedResponsesAreCorruption) {
  for (const char* raw :
       {"", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
        "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/2 200 OK\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}) {
    auto r = ParseHttpResponse(raw);
    ASSERT_FALSE(r.ok()) << raw;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << raw;
    EXPECT_FALSE(r.status().message().empty());
  }
}

}  // namespace
}  // namespace vidx
