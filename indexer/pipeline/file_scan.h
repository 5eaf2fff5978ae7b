// File discovery and identity for the indexing pipeline: which files under the given paths
// are videos, and the content hash that recognises a renamed or moved file.
//
// Thread-safety: pure functions (they only read the file system).
#ifndef VIDX_INDEXER_PIPELINE_FILE_SCAN_H_
#define VIDX_INDEXER_PIPELINE_FILE_SCAN_H_

#include <string>
#include <vector>

#include "common/status.h"

namespace vidx {

// Absolute, lexically normal paths of the regular files named by `paths` (files as given,
// whatever their extension; directories recursively, keeping files whose extension, compared
// without case, is in `extensions` — given without the dot). Sorted, without duplicates.
// Inside a directory, a symbolic link to a file is kept only when its target resolves under
// that directory (a link leaving the library is skipped, so nothing outside it is read);
// directory symlinks are not descended into. A file named in `paths` is taken as given.
// Errors: kInvalidArgument naming a path that does not exist; kIoError for an unreadable
// directory.
StatusOr<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths,
                                               const std::vector<std::string>& extensions);

// True when `path`'s extension, compared without case, is in `extensions` (without dots).
bool HasVideoExtension(const std::string& path, const std::vector<std::string>& extensions);

// True when `path` is `root` or lies under it (both absolute and lexically normal).
bool PathIsUnder(const std::string& path, const std::string& root);

// True when `path`, with every symbolic link resolved, lies under one of `roots` (also
// resolved). False when it cannot be resolved (dangling link, loop, permission).
bool ResolvesUnder(const std::string& path, const std::vector<std::string>& roots);

// The content hash of a file: lowercase hex sha256 over the file size (8 bytes, little
// endian) followed by up to 1 MiB read at offset 0, up to 1 MiB read at offset
// max(0, size/2 - 512 KiB) and up to 1 MiB read at offset max(0, size - 1 MiB) (regions may
// overlap for small files; each is hashed as read). Cheap for large videos and, in practice,
// unique per video: it only has to recognise the same bytes under another name.
// Errors naming the file: kNotFound when it does not exist, kIoError when it cannot be opened
// or read (permission denied, a directory, an I/O error).
StatusOr<std::string> ContentHash(const std::string& path);

}  // namespace vidx

#endif  // VIDX_INDEXER_PIPELINE_FILE_SCAN_H_
