#include "mydocker/cli/progress.hpp"

#include <time.h>

#include "mydocker/format/text.hpp"

namespace mydocker::cli {
namespace {

int64_t now_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

std::string progress_bar(int64_t done, int64_t total, int width) {
  const int filled =
      total > 0 ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width)
                : 0;
  std::string bar = "[";
  for (int i = 0; i < width; ++i) bar += i < filled ? '=' : (i == filled ? '>' : ' ');
  return bar + "] " + human_size(done) + "/" + human_size(total);
}

ProgressBoard::Row& ProgressBoard::row(const std::string& id) {
  for (auto& r : rows_)
    if (r.id == id) return r;
  rows_.push_back({id, ""});
  return rows_.back();
}

void ProgressBoard::event(const std::string& line) {
  const size_t colon = line.find(": ");
  const std::string id = colon == std::string::npos ? "" : line.substr(0, colon);
  if (id.size() != 12 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    // Not a layer's: above the board, which is drawn again below it.
    if (drawn_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_);
    std::fprintf(out_, "\r\x1b[J%s\n", line.c_str());
    drawn_ = 0;
    redraw();
    return;
  }
  row(id).text = line.substr(colon + 2);
  redraw();
}

void ProgressBoard::bytes(const std::string& digest, int64_t done, int64_t total) {
  row(digest.substr(7, 12)).text = "Downloading " + progress_bar(done, total);
  const int64_t now = now_us();
  if (done < total && now - last_draw_us_ < 100000) return;  // 10 redraws a second at most
  last_draw_us_ = now;
  redraw();
}

void ProgressBoard::redraw() {
  if (drawn_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_);
  for (const auto& r : rows_) std::fprintf(out_, "\r\x1b[K%s: %s\n", r.id.c_str(), r.text.c_str());
  drawn_ = rows_.size();
  std::fflush(out_);
}

}  // namespace mydocker::cli
