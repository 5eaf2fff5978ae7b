// Shards: how a library is split between the tasks of a scale-out run (docs/scale-out.md) and
// what a finished shard's state directory records about itself.
//
// Assignment: a file belongs to shard I of N when FNV-1a-64 of its path relative to the root
// it was found under (the PATH argument of `vidx index` that holds it), taken modulo N, is I.
// Every task computes the same assignment from the same arguments without talking to the
// others, whatever machine it runs on or where the library is mounted.
//
// The shard file (state_dir/shard, text, docs/storage.md "Shard file"): written by
// `vidx index --shard I/N` only after its run succeeded and removed when a run starts, so a
// state directory with a shard file holds a complete shard. `vidx merge` reads it.
//
// Thread-safety: pure functions; the file functions touch only the named directory.
#ifndef VIDX_APP_SHARD_H_
#define VIDX_APP_SHARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

struct ShardSpec {
  int index = 0;  // 0 <= index < count
  int count = 1;
};

// Parses "I/N" (decimal, 0 <= I < N <= 100000). kInvalidArgument naming the text otherwise.
StatusOr<ShardSpec> ParseShardSpec(const std::string& text);

// The shard (0..count-1) of a file whose path relative to its root is `relative_path`.
int ShardOfRelativePath(const std::string& relative_path, int count);

// Keeps the files of `files` (absolute, normal) that belong to `spec`. Each file's root is
// the longest of `roots` (absolute, normal) that holds it; a file that is itself a root is
// assigned by its file name.
std::vector<std::string> FilesOfShard(const std::vector<std::string>& files,
                                      const std::vector<std::string>& roots, const ShardSpec& spec);

// What state_dir/shard records.
struct ShardInfo {
  ShardSpec spec;
  std::string fingerprint;  // the generation the shard's files were embedded under
  uint32_t dimension = 0;
  std::vector<std::string> roots;  // the PATH arguments of the run (absolute, normal)
};

// state_dir/shard.
std::string ShardFilePath(const std::string& state_dir);
// Writes the shard file durably (temporary name, fsync, rename, directory fsync).
// kIoError naming the file.
Status WriteShardFile(const std::string& state_dir, const ShardInfo& info);
// Removes the shard file (nothing when there is none) and fsyncs the directory.
Status RemoveShardFile(const std::string& state_dir);
// kNotFound when there is none (not a finished shard); kCorruption naming the file and line
// when it does not parse.
StatusOr<ShardInfo> ReadShardFile(const std::string& state_dir);

}  // namespace vidx

#endif  // VIDX_APP_SHARD_H_
