#include "web/byte_range.h"

#include <gtest/gtest.h>

namespace vidx {
namespace {

using Kind = RangeDecision::Kind;

void ExpectPartial(const std::string& header, uint64_t size, uint64_t offset, uint64_t length) {
  const RangeDecision d = ParseRange(header, size);
  EXPECT_EQ(d.kind, Kind::kPartial) << header;
  EXPECT_EQ(d.offset, offset) << header;
  EXPECT_EQ(d.length, length) << header;
}

void ExpectKind(const std::string& header, uint64_t size, Kind kind) {
  EXPECT_EQ(ParseRange(header, size).kind, kind) << "'" << header << "' of " << size;
}

TEST(ByteRangeTest, SingleRanges) {
  ExpectPartial("bytes=0-0", 100, 0, 1);
  ExpectPartial("bytes=0-99", 100, 0, 100);
  ExpectPartial("bytes=10-19", 100, 10, 10);
  ExpectPartial("bytes=99-99", 100, 99, 1);
  ExpectPartial("bytes=50-", 100, 50, 50);
  ExpectPartial("bytes=0-", 100, 0, 100);
  ExpectPartial("bytes=-1", 100, 99, 1);
  ExpectPartial("bytes=-30", 100, 70, 30);
}

TEST(ByteRangeTest, EndPastTheFileIsCut) {
  ExpectPartial("bytes=90-1000", 100, 90, 10);
  ExpectPartial("bytes=0-18446744073709551615", 100, 0, 100);
  ExpectPartial("bytes=0-99999999999999999999999", 100, 0, 100);  // saturates
  ExpectPartial("bytes=-100", 100, 0, 100);
  ExpectPartial("bytes=-5000", 100, 0, 100);
}

TEST(ByteRangeTest, Unsatisfiable) {
  ExpectKind("bytes=100-", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=100-200", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=99999999999999999999999-", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=-0", 100, Kind::kUnsatisfiable);
  ExpectKind("bytes=0-", 0, Kind::kUnsatisfiable);
  ExpectKind("bytes=-5", 0, Kind::kUnsatisfiable);
  EXPECT_EQ(ContentRange(ParseRange("bytes=100-", 100), 100), "bytes */100");
}

TEST(ByteRangeTest, MalformedOrOtherUnitsAreIgnored) {
  for (const char* h :
       {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-4", "bytes=1-2-3", "bytes=+1-2",
        "bytes=1--2", "bytes=0x10-", "items=0-5", "bytes 0-5", "bytes=0 - 5 x"}) {
    ExpectKind(h, 100, Kind::kWhole);
  }
}

TEST(ByteRangeTest, SeveralRangesGiveTheWholeFile) {
  ExpectKind("bytes=0-1,5-6", 100, Kind::kWhole);
  ExpectKind("bytes=0-1, 200-300", 100, Kind::kWhole);
  ExpectKind("bytes=500-600,700-", 100, Kind::kWhole);
}

TEST(ByteRangeTest, UnitCaseAndSpaces) {
  ExpectPartial("Bytes=1-2", 10, 1, 2);
  ExpectPartial("BYTES = 1-2", 10, 1, 2);
  ExpectPartial("bytes= 3 - 4 ", 10, 3, 2);
}

TEST(ByteRangeTest, ContentRange) {
  EXPECT_EQ(ContentRange(ParseRange("bytes=10-19", 100), 100), "bytes 10-19/100");
  EXPECT_EQ(ContentRange(ParseRange("bytes=-1", 100), 100), "bytes 99-99/100");
}

TEST(ByteRangeTest, HttpDatesRoundTrip) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  for (int64_t t : {int64_t{0}, int64_t{951782400}, int64_t{1700000000}, int64_t{4102444800}}) {
    EXPECT_EQ(ParseHttpDate(HttpDate(t)), t) << HttpDate(t);
  }
  for (const char* bad : {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 36 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 28:49:37 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(bad).has_value()) << bad;
  }
}

TEST(ByteRangeTest, IfRange) {
  const std::string etag = "\"64-abc\"";
  const int64_t mtime = 784111777;
  EXPECT_TRUE(IfRangeMatches("", etag, mtime));
  EXPECT_TRUE(IfRangeMatches("\"64-abc\"", etag, mtime));
  EXPECT_FALSE(IfRangeMatches("\"64-abd\"", etag, mtime));
  EXPECT_FALSE(IfRangeMatches("W/\"64-abc\"", etag, mtime));  // weak: never for If-Range
  EXPECT_TRUE(IfRangeMatches("Sun, 06 Nov 1994 08:49:37 GMT", etag, mtime));
  EXPECT_FALSE(IfRangeMatches("Sun, 06 Nov 1994 08:49:38 GMT", etag, mtime));
  EXPECT_FALSE(IfRangeMatches("yesterday", etag, mtime));
}

}  // namespace
}  // namespace vidx
