#include "app/api_json.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

namespace vidx {

using nlohmann::json;

namespace {

Status CheckQuery(const Query& q) {
  if (q.text.empty() && q.image.empty() && q.image_bytes.empty() && q.like.empty() &&
      !q.like_moment) {
    return Status::InvalidArgument("the search request has no text, picture or like");
  }
  return Status::Ok();
}

Status SetFolder(const std::string& folder, Query* q) {
  if (folder.empty()) return Status::Ok();
  if (folder[0] != '/') {
    return Status::InvalidArgument("\"folder\" must be an absolute path, not \"" + folder + "\"");
  }
  q->filter.folder = folder;
  return Status::Ok();
}

Status SetK(int64_t k, Query* q) {
  if (k < 1 || k > 1000) return Status::InvalidArgument("\"k\" must be between 1 and 1000");
  q->k = static_cast<int>(k);
  return Status::Ok();
}

Status SetOffset(int64_t offset, Query* q) {
  if (offset < 0 || offset > 100000) {
    return Status::InvalidArgument("\"offset\" must be between 0 and 100000");
  }
  q->offset = static_cast<int>(offset);
  return Status::Ok();
}

// The integer fields a search request and a picture search share.
bool IsIntegerField(const std::string& name) {
  return name == "k" || name == "offset" || name == "modified_after" || name == "modified_before";
}

// REQUIRES: IsIntegerField(name).
Status SetIntegerField(const std::string& name, int64_t n, Query* q) {
  if (name == "k") return SetK(n, q);
  if (name == "offset") return SetOffset(n, q);
  if (name == "modified_after") q->filter.modified_after = n;
  if (name == "modified_before") q->filter.modified_before = n;
  return Status::Ok();
}

Status ParseLikeMoment(const json& v, Query* q) {
  if (!v.is_object() || v.size() != 2 || !v.contains("file") || !v.contains("t") ||
      !v["file"].is_number_unsigned() || !v["t"].is_number()) {
    return Status::InvalidArgument(
        "\"like\" must be a path or {\"file\": FILE_ID, \"t\": SECONDS}");
  }
  const double t = v["t"].get<double>();
  if (!std::isfinite(t) || t < 0) {
    return Status::InvalidArgument("\"like\".\"t\" must be a time in seconds, >= 0");
  }
  q->like_moment = MomentRef{v["file"].get<uint64_t>(), t};
  return Status::Ok();
}

// A decimal integer parameter of a URL; kInvalidArgument naming it otherwise.
StatusOr<int64_t> IntegerParam(const std::string& name, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || end == nullptr || *end != '\0' || errno == ERANGE) {
    return Status::InvalidArgument("parameter \"" + name + "\" must be an integer, not \"" + value +
                                   "\"");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

StatusOr<Query> ParseSearchRequest(const std::string& body, RequestOrigin origin) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("the search request is not a JSON object");
  }
  static const std::set<std::string> kFields = {
      "text", "image", "like", "k", "offset", "folder", "modified_after", "modified_before"};
  Query q;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (kFields.count(key) == 0) {
      return Status::InvalidArgument("unknown field \"" + key + "\" in the search request");
    }
    if (key == "like" && v.is_object()) {
      VIDX_RETURN_IF_ERROR(ParseLikeMoment(v, &q));
    } else if (IsIntegerField(key)) {
      if (!v.is_number_integer())
        return Status::InvalidArgument("\"" + key + "\" must be an integer");
      VIDX_RETURN_IF_ERROR(SetIntegerField(key, v.get<int64_t>(), &q));
    } else {
      if (!v.is_string()) return Status::InvalidArgument("\"" + key + "\" must be a string");
      const std::string s = v.get<std::string>();
      if (origin == RequestOrigin::kRemote && (key == "image" || key == "like")) {
        return Status::InvalidArgument(
            "\"" + key + "\" naming a file is not accepted here: send a picture as the body of " +
            "POST /v1/search/image, or \"like\" as {\"file\": FILE_ID, \"t\": SECONDS}");
      }
      if (key == "text") q.text = s;
      if (key == "image") q.image = s;
      if (key == "like") q.like = s;
      if (key == "folder") VIDX_RETURN_IF_ERROR(SetFolder(s, &q));
    }
  }
  VIDX_RETURN_IF_ERROR(CheckQuery(q));
  return q;
}

StatusOr<Query> ParsePictureSearch(const std::map<std::string, std::string>& params,
                                   std::string picture) {
  Query q;
  for (const auto& [name, value] : params) {
    if (name == "text") {
      q.text = value;
    } else if (name == "folder") {
      VIDX_RETURN_IF_ERROR(SetFolder(value, &q));
    } else if (IsIntegerField(name)) {
      StatusOr<int64_t> n = IntegerParam(name, value);
      if (!n.ok()) return n.status();
      VIDX_RETURN_IF_ERROR(SetIntegerField(name, *n, &q));
    } else {
      return Status::InvalidArgument("unknown parameter \"" + name + "\" for a picture search");
    }
  }
  if (picture.empty()) {
    return Status::InvalidArgument("the picture search has no picture: send it as the body");
  }
  q.image_bytes = std::move(picture);
  return q;
}

json SearchRequestJson(const Query& query) {
  json doc = {{"k", query.k}};
  if (!query.text.empty()) doc["text"] = query.text;
  if (!query.image.empty()) doc["image"] = query.image;
  if (!query.like.empty()) doc["like"] = query.like;
  if (query.like_moment) {
    doc["like"] = {{"file", query.like_moment->file}, {"t", query.like_moment->t}};
  }
  if (query.offset != 0) doc["offset"] = query.offset;
  if (!query.filter.folder.empty()) doc["folder"] = query.filter.folder;
  if (query.filter.modified_after) doc["modified_after"] = *query.filter.modified_after;
  if (query.filter.modified_before) doc["modified_before"] = *query.filter.modified_before;
  return doc;
}

std::string QueryLabel(const Query& query) {
  std::string label = query.text;
  auto add = [&](const std::string& part) { label += (label.empty() ? "" : " ") + part; };
  if (!query.image.empty()) add("--image " + query.image);
  if (!query.image_bytes.empty()) add("(picture)");
  if (!query.like.empty()) add("--like " + query.like);
  if (query.like_moment) {
    add("(like file " + std::to_string(query.like_moment->file) + " at " +
        ClockTime(query.like_moment->t) + ")");
  }
  return label;
}

json SearchResponseJson(const Query& query, const SearchResponse& response) {
  json results = json::array();
  for (const FileHit& h : response.results) {
    json moments = json::array();
    for (const Moment& m : h.moments) {
      moments.push_back({{"start", m.start}, {"end", m.end}, {"score", m.score}});
    }
    const size_t slash = h.path.rfind('/');
    const std::string folder =
        slash == std::string::npos ? "" : (slash == 0 ? "/" : h.path.substr(0, slash));
    const std::string name = slash == std::string::npos ? h.path : h.path.substr(slash + 1);
    json result = {{"file", h.file_id},
                   {"path", h.path},
                   {"name", name},
                   {"folder", folder},
                   {"duration", h.duration},
                   {"modified", h.mtime_ns / 1000000000},
                   {"size", h.size},
                   {"codec", h.codec},
                   {"playable", BrowserPlayable(h.path, h.codec)},
                   {"score", h.score},
                   {"moments", moments}};
    if (h.probability) result["probability"] = *h.probability;
    results.push_back(std::move(result));
  }
  return {{"query", QueryLabel(query)},
          {"fingerprint", response.fingerprint},
          {"offset", response.offset},
          {"more", response.more},
          {"results", results}};
}

bool BrowserPlayable(const std::string& path, const std::string& codec) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || path.find('/', dot) != std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string> kContainers = {"mp4", "m4v", "mov", "webm"};
  static const std::set<std::string> kCodecs = {"h264", "vp8", "vp9", "av1"};
  return kContainers.count(ext) != 0 && kCodecs.count(codec) != 0;
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kUnsupported:
    case StatusCode::kCorruption:
      return 400;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kBusy:
    case StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

std::string ClockTime(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  const long s = static_cast<long>(std::floor(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::string FormatSearchResults(const json& doc) {
  std::string out;
  const json& results = doc.at("results");
  if (results.empty()) return "no results\n";
  char line[64];
  for (size_t i = 0; i < results.size(); ++i) {
    const json& h = results[i];
    std::snprintf(line, sizeof line, "%2zu. %.4f  ", i + 1, h.at("score").get<double>());
    out += line + h.at("path").get<std::string>() + "\n";
    const json& moments = h.at("moments");
    for (size_t m = 0; m < moments.size() && m < 3; ++m) {
      std::snprintf(line, sizeof line, "  %.4f\n", moments[m].at("score").get<double>());
      out += "      " + ClockTime(moments[m].at("start").get<double>()) + "\u2013" +
             ClockTime(moments[m].at("end").get<double>()) + line;
    }
  }
  return out;
}

}  // namespace vidx
