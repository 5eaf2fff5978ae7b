#include "app/status_format.h"

#include <cstdio>

namespace vidx {

using nlohmann::json;

namespace {

std::string Str(const json& v) {
  if (v.is_null()) return "none";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

std::string FormatStatus(const json& doc) {
  std::string out;
  const json& files = doc.at("files");
  out += "files: " + Str(files.at("indexed")) + " indexed, " + Str(files.at("failed")) +
         " failed, " + Str(files.at("pending")) + " pending\n";
  out += "vectors: " + Str(doc.at("vectors")) + "\n";
  out += "generation: active " + Str(doc.at("generation").at("active")) + ", building " +
         Str(doc.at("generation").at("building")) + "\n";
  out += "fingerprint: " + Str(doc.at("fingerprint")) + "\n";
  if (doc.contains("daemon")) {
    const json& d = doc.at("daemon");
    out += "daemon: " + Str(d.at("phase"));
    if (d.contains("reindex") && !d.at("reindex").is_null()) {
      const json& r = d.at("reindex");
      out += ", reindex " + Str(r.at("done")) + "/" + Str(r.at("total")) + " files";
    }
    char rate[64];
    std::snprintf(rate, sizeof rate, ", %.1f video-s/s", d.value("video_seconds_per_second", 0.0));
    out += rate;
    out += "\n";
    for (const char* key : {"last_error", "reload_error", "serving_note"}) {
      if (d.contains(key) && d.at(key).is_string() && !d.at(key).get<std::string>().empty()) {
        out += std::string(key) + ": " + d.at(key).get<std::string>() + "\n";
      }
    }
  }
  for (const json& f : doc.at("failed_files")) {
    const std::string path = f.at("path"), error = f.at("error");
    // Errors usually name their file already.
    if (error.compare(0, path.size(), path) == 0) {
      out += "failed: " + error + "\n";
    } else {
      out += "failed: " + path + ": " + error + "\n";
    }
  }
  return out;
}

}  // namespace vidx
