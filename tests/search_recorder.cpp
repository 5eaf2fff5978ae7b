#include "tests/search_recorder.h"

#include <chrono>

namespace vidx {
namespace testing {

SearchRecorder::SearchRecorder(const DaemonProcess& daemon) : daemon_(daemon) {
  thread_ = std::thread([this] {
    while (!done_) {
      HttpResponse r = daemon_.Call("POST", "/v1/search", R"({"text":"a red video","k":3})");
      nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
      std::lock_guard<std::mutex> lock(mu_);
      codes_.push_back(r.status);
      if (r.status == 200 && j.is_object() && j["fingerprint"].is_string()) {
        fingerprints_.push_back(j["fingerprint"]);
      }
    }
  });
}

SearchRecorder::~SearchRecorder() { Stop(); }

void SearchRecorder::Stop() {
  done_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string SearchRecorder::CheckOneFlip(const std::string& before, const std::string& after) {
  if (codes_.empty()) return "no search was answered";
  for (size_t i = 0; i < codes_.size(); ++i) {
    if (codes_[i] != 200)
      return "search " + std::to_string(i) + " got HTTP " + std::to_string(codes_[i]);
  }
  if (fingerprints_.size() != codes_.size()) return "an answer carried no fingerprint";
  size_t flip = 0;
  while (flip < fingerprints_.size() && fingerprints_[flip] == before) ++flip;
  before_flip_ = flip;
  for (size_t i = flip; i < fingerprints_.size(); ++i) {
    if (fingerprints_[i] != after) {
      return "answer " + std::to_string(i) + " came from fingerprint " + fingerprints_[i] +
             ", neither the old one nor the new one";
    }
  }
  if (flip == fingerprints_.size()) return "no answer came from the new generation";
  return "";
}

nlohmann::json WaitForReindex(const DaemonProcess& daemon, const std::string& old_fp,
                              double timeout_s) {
  nlohmann::json st = daemon.WaitForStatus(
      [&](const nlohmann::json& s) {
        return s["fingerprint"] != old_fp && s["generation"]["building"].is_null() &&
               s["daemon"]["phase"] == "idle";
      },
      timeout_s);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return st;
}

}  // namespace testing
}  // namespace vidx
