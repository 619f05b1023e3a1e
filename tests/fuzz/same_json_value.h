// Equality of parsed JSON values for the codec fuzzers' oracles.
#ifndef SIG_TESTS_FUZZ_SAME_JSON_VALUE_H_
#define SIG_TESTS_FUZZ_SAME_JSON_VALUE_H_

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <boost/json.hpp>

namespace sig::testing {

// Equal JSON values, numbers compared as doubles within a relative 1e-9 (NaN equal to NaN).
// Boost.JSON 1.81 reads the same number text as neighbouring doubles depending on where it sits
// in the buffer (its fast path needs bytes after the number: 11.5777777777777777777777 parses
// as ...776 at one offset and ...778 at another), and some overflowing numbers as NaN.
inline bool SameJsonValue(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.to_number<double>();
    const double y = b.to_number<double>();
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y || std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& p = a.get_array();
    const auto& q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!SameJsonValue(p[i], q[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& p = a.get_object();
    const auto& q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& [key, value] : p) {
      const auto* other = q.if_contains(key);
      if (other == nullptr || !SameJsonValue(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace sig::testing

#endif  // SIG_TESTS_FUZZ_SAME_JSON_VALUE_H_
