// Corrupt state on disk, with the real `vidx` binary and the tiny model:
//  - a corrupt FAISS snapshot (truncated, or bytes flipped) is rebuilt from the catalog at the
//    daemon's start, which then answers as before;
//  - a corrupt RocksDB catalog (CURRENT, MANIFEST, a table's footer) makes `vidx daemon`,
//    `vidx index` and `vidx status` refuse with one sentence naming the catalog, saying it is
//    corrupt and naming `vidx repair` (exit 1); `vidx repair` salvages it; the daemon then
//    re-embeds what was lost and ends complete, catalog and index in agreement.
//  - bytes flipped inside a table's data (found only when read): `vidx repair` drops what
//    cannot be read and the files concerned are re-embedded.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <nlohmann/json.hpp>

#include "tests/daemon_process.h"
#include "tests/run_command.h"
#include "tests/state_check.h"
#include "tests/temp_dir.h"
#include "tests/tiny_library.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::DaemonProcess;
using testing::RunCommand;
using testing::ShellQuote;

constexpr int kFiles = 6;

class CorruptionTest : public ::testing::Test {
 public:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(testing::kClipVocab)) << testing::kClipVocab << " is missing";
    ASSERT_EQ(testing::MakeTinyModels(VIDX_TINY_MODELS_DIR, dir_.str()), "");
    std::vector<std::string> videos;
    ASSERT_EQ(testing::MakeVideos((dir_.path() / "videos").string(), kFiles, 2, &videos), "");
    fs::create_directories(dir_.path() / "lib");
    for (const std::string& v : videos) {
      paths_.push_back((dir_.path() / "lib" / fs::path(v).filename()).string());
      fs::copy_file(v, paths_.back());
    }
    testing::DaemonConfig c;
    c.state_dir = State();
    c.library = (dir_.path() / "lib").string();
    c.socket = (dir_.path() / "vidx.sock").string();
    c.model = (dir_.path() / "tiny_c").string();
    testing::WriteDaemonConfig(Config(), c);
  }
  std::string State() const { return (dir_.path() / "state").string(); }
  std::string Config() const { return (dir_.path() / "vidx.yaml").string(); }
  std::unique_ptr<DaemonProcess> Daemon() {
    auto d =
        std::make_unique<DaemonProcess>(VIDX_BINARY, Config(), (dir_.path() / "vidx.sock").string(),
                                        (dir_.path() / "daemon.log").string());
    EXPECT_TRUE(d->Start());
    return d;
  }
  CommandResult Vidx(const std::string& args) const {
    return RunCommand(ShellQuote(VIDX_BINARY) + " --config " + ShellQuote(Config()) + " " + args);
  }
  // Indexes the library with the daemon and stops it (snapshot written).
  void IndexAll() {
    auto d = Daemon();
    ASSERT_TRUE(d->WaitIdle(kFiles, 0, 120)) << d->Log();
    ASSERT_EQ(d->Stop(), 0) << d->Log();
  }
  // Runs the daemon to completion, checks it answers, stops it and checks the state.
  void ExpectCompleteAndConsistent() {
    fs::remove(dir_.path() / "daemon.log");  // log_ is this start's log only
    auto d = Daemon();
    ASSERT_TRUE(d->WaitIdle(kFiles, 0, 120)) << d->Status().dump() << d->Log();
    for (const std::string& p : paths_) {
      HttpResponse r = d->Call("POST", "/v1/search", json{{"like", p + "@1"}, {"k", 3}}.dump());
      ASSERT_EQ(r.status, 200) << r.body;
      json hit = json::parse(r.body);
      ASSERT_FALSE(hit["results"].empty());
      EXPECT_EQ(hit["results"][0]["path"], p) << r.body;
    }
    ASSERT_EQ(d->Stop(), 0) << d->Log();
    log_ = d->Log();
    std::vector<std::string> problems;
    testing::StateView view = testing::CheckState(State(), "Flat", &problems);
    for (const std::string& p : problems) ADD_FAILURE() << p;
    for (const std::string& p : view.leftovers) ADD_FAILURE() << p;
    ASSERT_EQ(view.generations.size(), 1u);
    EXPECT_EQ(view.generations[0].state, "active");
    EXPECT_EQ(view.generations[0].indexed.size(), static_cast<size_t>(kFiles));
  }
  // Flushes the catalog's memtable to a table file so that there is a table to corrupt.
  void FlushCatalog() {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options o;
    ASSERT_TRUE(rocksdb::DB::Open(o, State() + "/catalog", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  }
  std::vector<fs::path> CatalogFiles(const std::string& prefix_or_ext) const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(State() + "/catalog")) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() == prefix_or_ext || name.rfind(prefix_or_ext, 0) == 0)
        out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The three commands refuse with one sentence naming the catalog and the repair command.
  void ExpectRefused() {
    const std::string catalog = State() + "/catalog";
    const std::vector<std::string> commands = {
        "status", "index " + ShellQuote((dir_.path() / "lib").string()), "daemon"};
    for (const std::string& cmd : commands) {
      SCOPED_TRACE(cmd);
      CommandResult r = Vidx(cmd);
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find("catalog " + catalog + " is corrupt"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("run `vidx repair`"), std::string::npos) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    }
    std::printf("[ refused  ] %s", Vidx("status").err.c_str());
  }
  void Repair() {
    CommandResult r = Vidx("repair");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("repaired"), std::string::npos) << r.out;
    std::printf("[ repair   ] %s", r.out.c_str());
  }

  testing::TempDir dir_{"vidx_corrupt"};
  std::vector<std::string> paths_;
  std::string log_;
};

void FlipBytes(const fs::path& file, uint64_t offset, size_t n) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  for (size_t i = 0; i < n; ++i) {
    f.seekg(static_cast<std::streamoff>(offset + i));
    const int c = f.get();
    f.seekp(static_cast<std::streamoff>(offset + i));
    f.put(static_cast<char>(c ^ 0x5a));
  }
  ASSERT_TRUE(f.good()) << file;
}

TEST_F(CorruptionTest, CorruptSnapshotsAreRebuiltFromTheCatalog) {
  IndexAll();
  // The snapshot's file of each kind as it is now (a rebuild writes new names).
  auto current = [&](const std::string& prefix) {
    for (const auto& e : fs::recursive_directory_iterator(State() + "/index")) {
      if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0)
        return e.path();
    }
    return fs::path();
  };
  // Every snapshot file in turn: truncated to half, then bytes flipped in its middle.
  for (const char* kind : {"meta", "index-", "tombstones-"}) {
    for (int how = 0; how < 2; ++how) {
      const fs::path f = current(kind);
      ASSERT_FALSE(f.empty()) << "no snapshot file " << kind << "* (the rebuild was not saved)";
      SCOPED_TRACE(f.string() + (how == 0 ? " truncated" : " flipped"));
      const uint64_t size = fs::file_size(f);
      if (size == 0) {  // no tombstones: an empty file, damaged by a byte that should not be
        std::ofstream(f, std::ios::binary | std::ios::app) << 'x';
      } else if (how == 0) {
        fs::resize_file(f, size / 2);
      } else {
        FlipBytes(f, size / 2, std::min<uint64_t>(size - size / 2, 8));
      }
      ExpectCompleteAndConsistent();
      EXPECT_NE(log_.find("rebuil"), std::string::npos) << log_;
      if (HasFatalFailure()) return;
    }
  }
  // The last rebuild was saved: this start loads it.
  ExpectCompleteAndConsistent();
  EXPECT_EQ(log_.find("rebuil"), std::string::npos) << log_;
}

TEST_F(CorruptionTest, CorruptCatalogIsRefusedThenRepaired) {
  struct Damage {
    const char* name;
    std::function<void(CorruptionTest*)> apply;
  };
  const std::vector<Damage> damages = {
      {"CURRENT without its newline",
       [](CorruptionTest* t) {
         std::ofstream(t->State() + "/catalog/CURRENT") << "MANIFEST-00000";
       }},
      {"MANIFEST bytes flipped",
       [](CorruptionTest* t) {
         std::vector<fs::path> m = t->CatalogFiles("MANIFEST-");
         ASSERT_FALSE(m.empty());
         FlipBytes(m.back(), 10, std::min<uint64_t>(fs::file_size(m.back()) - 10, 64));
       }},
      {"table footer flipped",
       [](CorruptionTest* t) {
         std::vector<fs::path> sst = t->CatalogFiles(".sst");
         ASSERT_FALSE(sst.empty());
         FlipBytes(sst.back(), fs::file_size(sst.back()) - 8, 8);
       }},
      {"table truncated",
       [](CorruptionTest* t) {
         std::vector<fs::path> sst = t->CatalogFiles(".sst");
         ASSERT_FALSE(sst.empty());
         fs::resize_file(sst.back(), fs::file_size(sst.back()) / 3);
       }},
  };
  IndexAll();
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.name);
    std::printf("[ damage   ] %s\n", d.name);
    FlushCatalog();
    d.apply(this);
    if (HasFatalFailure()) return;
    ExpectRefused();
    Repair();
    ExpectCompleteAndConsistent();
    if (HasFatalFailure()) return;
  }
}

TEST_F(CorruptionTest, DataBlockDamageIsSalvagedByRepair) {
  IndexAll();
  FlushCatalog();
  std::vector<fs::path> sst = CatalogFiles(".sst");
  ASSERT_FALSE(sst.empty());
  // The middle of the largest table: vector values (the data blocks come first).
  const fs::path biggest = *std::max_element(
      sst.begin(), sst.end(),
      [](const fs::path& a, const fs::path& b) { return fs::file_size(a) < fs::file_size(b); });
  FlipBytes(biggest, fs::file_size(biggest) / 3, 16);
  Repair();
  ExpectCompleteAndConsistent();
}

}  // namespace
}  // namespace vidx
