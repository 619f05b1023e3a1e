#include "edge/query.h"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace sig::edge {

absl::flat_hash_map<std::string, std::string> ParseQuery(std::string_view target) {
  absl::flat_hash_map<std::string, std::string> out;
  auto url = boost::urls::parse_origin_form(boost::core::string_view(target.data(), target.size()));
  if (!url) return out;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (const auto& param : url->params(opts)) {
    out.insert_or_assign(std::string(param.key), param.has_value ? std::string(param.value) : "");
  }
  return out;
}

std::string_view TargetPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace sig::edge
