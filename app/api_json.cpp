#include "app/api_json.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace vidx {

using nlohmann::json;

StatusOr<Query> ParseSearchRequest(const std::string& body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("the search request is not a JSON object");
  }
  static const std::set<std::string> kFields = {"text", "image", "like", "k"};
  Query q;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (kFields.count(it.key()) == 0) {
      return Status::InvalidArgument("unknown field \"" + it.key() + "\" in the search request");
    }
    if (it.key() == "k") {
      if (!it.value().is_number_integer()) {
        return Status::InvalidArgument("\"k\" must be an integer");
      }
      const int64_t k = it.value().get<int64_t>();
      if (k < 1 || k > 1000) return Status::InvalidArgument("\"k\" must be between 1 and 1000");
      q.k = static_cast<int>(k);
    } else {
      if (!it.value().is_string()) {
        return Status::InvalidArgument("\"" + it.key() + "\" must be a string");
      }
      const std::string v = it.value().get<std::string>();
      if (it.key() == "text") q.text = v;
      if (it.key() == "image") q.image = v;
      if (it.key() == "like") q.like = v;
    }
  }
  if (q.text.empty() && q.image.empty() && q.like.empty()) {
    return Status::InvalidArgument("the search request has no text, image or like");
  }
  return q;
}

json SearchRequestJson(const Query& query) {
  json doc = {{"k", query.k}};
  if (!query.text.empty()) doc["text"] = query.text;
  if (!query.image.empty()) doc["image"] = query.image;
  if (!query.like.empty()) doc["like"] = query.like;
  return doc;
}

std::string QueryLabel(const Query& query) {
  std::string label = query.text;
  auto add = [&](const std::string& part) { label += (label.empty() ? "" : " ") + part; };
  if (!query.image.empty()) add("--image " + query.image);
  if (!query.like.empty()) add("--like " + query.like);
  return label;
}

json SearchResponseJson(const Query& query, const SearchResponse& response) {
  json results = json::array();
  for (const FileHit& h : response.results) {
    json moments = json::array();
    for (const Moment& m : h.moments) {
      moments.push_back({{"start", m.start}, {"end", m.end}, {"score", m.score}});
    }
    results.push_back({{"path", h.path}, {"score", h.score}, {"moments", moments}});
  }
  return {
      {"query", QueryLabel(query)}, {"fingerprint", response.fingerprint}, {"results", results}};
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
