// The login page: what every non-/v1 route answers without a valid token (status 401) and
// /login with a wrong one. A form that POSTs the token to /login; its only style is one
// inline <style> element, allowed by the hash LoginStyleHash() puts in the page's CSP.
//
// Thread-safety: pure functions over constant data.
#ifndef VIDX_WEB_LOGIN_PAGE_H_
#define VIDX_WEB_LOGIN_PAGE_H_

#include <string>

namespace vidx {

// The HTML; `message` (plain text, escaped here) is shown above the form when not empty.
std::string LoginPageHtml(const std::string& message);

// "'sha256-<base64>'": the CSP source expression of the page's inline style, computed from
// the style text once.
const std::string& LoginStyleHash();

// Base64 (RFC 4648, with padding).
std::string Base64(const unsigned char* data, size_t size);

}  // namespace vidx

#endif  // VIDX_WEB_LOGIN_PAGE_H_
