// The API's request parsing (what a remote caller may ask for) and the search document.
#include "app/api_json.h"

#include <gtest/gtest.h>

namespace vidx {
namespace {

TEST(ParseSearchRequestTest, ReadsEveryField) {
  StatusOr<Query> q = ParseSearchRequest(
      R"({"text": "dog", "k": 5, "offset": 10, "folder": "/lib/a",
          "modified_after": 100, "modified_before": 200})");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->text, "dog");
  EXPECT_EQ(q->k, 5);
  EXPECT_EQ(q->offset, 10);
  EXPECT_EQ(q->filter.folder, "/lib/a");
  EXPECT_EQ(q->filter.modified_after, 100);
  EXPECT_EQ(q->filter.modified_before, 200);
}

TEST(ParseSearchRequestTest, LikeIsAPathLocallyOrACataloguedMoment) {
  StatusOr<Query> path = ParseSearchRequest(R"({"like": "/v/a.mp4@3"})");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->like, "/v/a.mp4@3");
  StatusOr<Query> moment =
      ParseSearchRequest(R"({"like": {"file": 42, "t": 7.5}})", RequestOrigin::kRemote);
  ASSERT_TRUE(moment.ok()) << moment.status().message();
  ASSERT_TRUE(moment->like_moment.has_value());
  EXPECT_EQ(moment->like_moment->file, 42u);
  EXPECT_DOUBLE_EQ(moment->like_moment->t, 7.5);
  for (const char* bad :
       {R"({"like": {"file": -1, "t": 1}})", R"({"like": {"file": 1}})",
        R"({"like": {"file": 1, "t": -2}})", R"({"like": {"file": 1, "t": 1, "x": 0}})"}) {
    EXPECT_EQ(ParseSearchRequest(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// The TCP listener must never become a way to make the daemon open a file a request names.
TEST(ParseSearchRequestTest, ARemoteRequestCannotNameAFile) {
  for (const char* body : {R"({"image": "/etc/passwd"})", R"({"like": "/etc/passwd@1"})",
                           R"({"text": "a", "image": "/x.png"})"}) {
    StatusOr<Query> q = ParseSearchRequest(body, RequestOrigin::kRemote);
    ASSERT_FALSE(q.ok()) << body;
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(q.status().message().find("not accepted"), std::string::npos) << q.status().message();
    EXPECT_TRUE(ParseSearchRequest(body, RequestOrigin::kLocal).ok()) << body;
  }
}

TEST(ParseSearchRequestTest, RefusesBadValuesNamingTheField) {
  struct Case {
    const char* body;
    const char* names;
  };
  for (const Case& c :
       {Case{R"({"text": "a", "offset": -1})", "offset"}, Case{R"({"text": "a", "k": 0})", "k"},
        Case{R"({"text": "a", "folder": "lib"})", "folder"},
        Case{R"({"text": "a", "modified_after": "x"})", "modified_after"},
        Case{R"({"text": "a", "colour": 1})", "colour"}, Case{R"({"k": 3})", "no text"}}) {
    StatusOr<Query> q = ParseSearchRequest(c.body);
    ASSERT_FALSE(q.ok()) << c.body;
    EXPECT_NE(q.status().message().find(c.names), std::string::npos) << q.status().message();
  }
}

TEST(ParsePictureSearchTest, ThePictureIsTheBodyAndTheRestComeFromTheUrl) {
  StatusOr<Query> q = ParsePictureSearch({{"k", "3"}, {"offset", "6"}, {"folder", "/lib"}}, "PNG");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->image_bytes, "PNG");
  EXPECT_TRUE(q->image.empty());
  EXPECT_EQ(q->k, 3);
  EXPECT_EQ(q->offset, 6);
  EXPECT_EQ(q->filter.folder, "/lib");
  EXPECT_FALSE(ParsePictureSearch({}, "").ok());
  StatusOr<Query> bad_k = ParsePictureSearch({{"k", "3x"}}, "PNG");
  ASSERT_FALSE(bad_k.ok());
  EXPECT_NE(bad_k.status().message().find("\"k\""), std::string::npos);
  StatusOr<Query> unknown = ParsePictureSearch({{"image", "/etc/passwd"}}, "PNG");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("image"), std::string::npos);
}

TEST(SearchResponseJsonTest, CarriesFileIdsFactsAndPaging) {
  Query q;
  q.text = "dog";
  SearchResponse r;
  r.fingerprint = "fp";
  r.offset = 10;
  r.more = true;
  FileHit h;
  h.file_id = 7;
  h.path = "/lib/a/dog.mp4";
  h.score = 0.5f;
  h.duration = 12;
  h.codec = "h264";
  h.size = 99;
  h.mtime_ns = int64_t{1700000000} * 1000000000 + 5;
  h.moments = {{1, 2, 0.5f}};
  r.results = {h};
  const nlohmann::json doc = SearchResponseJson(q, r);
  EXPECT_EQ(doc["offset"], 10);
  EXPECT_EQ(doc["more"], true);
  const nlohmann::json& f = doc["results"][0];
  EXPECT_EQ(f["file"], 7);
  EXPECT_EQ(f["name"], "dog.mp4");
  EXPECT_EQ(f["folder"], "/lib/a");
  EXPECT_EQ(f["modified"], 1700000000);
  EXPECT_EQ(f["playable"], true);
  EXPECT_EQ(f["moments"][0]["end"], 2.0);
  EXPECT_FALSE(f.contains("probability"));  // a hit without one (CLIP) leaves the field out
}

TEST(SearchResponseJsonTest, ProbabilityIsPresentOnlyWhereTheHitHasOne) {
  Query q;
  q.text = "dog";
  SearchResponse r;
  FileHit with;
  with.path = "/lib/dog.mp4";
  with.score = 0.2f;
  with.probability = 0.75f;
  FileHit without;
  without.path = "/lib/cat.mp4";
  without.score = 0.1f;
  r.results = {with, without};
  const nlohmann::json doc = SearchResponseJson(q, r);
  EXPECT_FLOAT_EQ(doc["results"][0]["probability"].get<float>(), 0.75f);
  EXPECT_FALSE(doc["results"][1].contains("probability"));
}

TEST(BrowserPlayableTest, NeedsABrowserContainerAndCodec) {
  EXPECT_TRUE(BrowserPlayable("/a/x.MP4", "h264"));
  EXPECT_TRUE(BrowserPlayable("/a/x.webm", "vp9"));
  EXPECT_FALSE(BrowserPlayable("/a/x.mp4", "hevc"));
  EXPECT_FALSE(BrowserPlayable("/a/x.avi", "h264"));
  EXPECT_FALSE(BrowserPlayable("/a/x.mkv", "vp9"));
  EXPECT_FALSE(BrowserPlayable("/a.mp4/x", "h264"));
}

}  // namespace
}  // namespace vidx
