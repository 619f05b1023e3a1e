#include "edge/peerjs_options.h"

namespace sig::edge {

std::string PeerJsOptions::NormalizePrefix(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (!out.empty() && out.front() != '/') out.insert(out.begin(), '/');
  return out;
}

}  // namespace sig::edge
