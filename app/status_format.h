// The human-readable form of the status document (app/status_report.h has its fields). Plain
// JSON in, text out: the front binary (cli/front_main.cpp) prints the daemon's answer with it
// without linking the catalog.
//
// Thread-safety: free functions.
#ifndef VIDX_APP_STATUS_FORMAT_H_
#define VIDX_APP_STATUS_FORMAT_H_

#include <string>

#include <nlohmann/json.hpp>

namespace vidx {

// Human-readable lines for a status document (with or without its "daemon" part).
std::string FormatStatus(const nlohmann::json& status_document);

}  // namespace vidx

#endif  // VIDX_APP_STATUS_FORMAT_H_
