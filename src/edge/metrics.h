#pragma once

#include <string>

#include "edge/edge_context.h"

namespace sig::edge {

// The Prometheus text exposition (format 0.0.4) of the server's state for GET /metrics: every
// family in README "Metrics", built as prometheus-cpp metric families from core::Stats, the
// router and the connection set, and written by prometheus-cpp's TextSerializer. Known label
// combinations are exported at zero from the start. Thread-safe; reads relaxed counters.
std::string RenderMetrics(const EdgeContext& state);

// The Content-Type of RenderMetrics' output.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace sig::edge
