#include "indexer/model/fingerprint.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "indexer/model/sha256.h"

namespace vidx {
namespace {

// Shortest text that reads back to the same double, independent of the C locale.
std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  std::string s(buf);
  for (char& c : s) {
    if (c == ',') c = '.';
  }
  return s;
}

// Values may contain newlines (architecture JSON); escape them so lines stay unambiguous.
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string CanonicalDescription(const FeatureSpec& s) {
  std::ostringstream out;
  out << "vidx-feature-space\n"
      << "pipeline_version=" << s.pipeline_version << "\n"
      << "checkpoint_sha256=" << Escape(s.checkpoint_sha256) << "\n"
      << "model=" << Escape(s.model) << "\n"
      << "sampling.fps=" << Number(s.sampling.fps) << "\n"
      << "sampling.max_frames=" << s.sampling.max_frames << "\n"
      << "sampling.keyframe_tolerance=" << Number(s.sampling.keyframe_tolerance) << "\n"
      << "sampling.clip_frames=" << s.sampling.clip_frames << "\n";
  // Written only when on, so that fingerprints from before the setting existed stay valid.
  if (s.sampling.skip_similar > 0) {
    out << "sampling.skip_similar=" << Number(s.sampling.skip_similar) << "\n";
  }
  out << "pooling=" << Escape(s.pooling) << "\n";
  return out.str();
}

std::string Fingerprint(const FeatureSpec& spec) { return Sha256Hex(CanonicalDescription(spec)); }

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 || nb == 0) return 0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

}  // namespace vidx
