#pragma once
// pull's and push's progress on a terminal: one line per layer, redrawn in place, docker's
// look ("3f2a9c8e1b7d: Downloading [=====>      ] 1.2MB/3.4MB"). Off a terminal, the plain
// event lines are printed instead (see run_pull).

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mydocker::cli {

class ProgressBoard {
 public:
  explicit ProgressBoard(std::FILE* out) : out_(out) {}
  // An event line of registry::pull/push ("<12 hex>: pull complete", "Digest: ..."): the line of
  // its layer gets the status; other lines go above the board.
  void event(const std::string& line);
  // Bytes of a blob: its bar.
  void bytes(const std::string& digest, int64_t done, int64_t total);

 private:
  struct Row {
    std::string id, text;
  };
  Row& row(const std::string& id);
  void redraw();
  std::FILE* out_;
  std::vector<Row> rows_;
  size_t drawn_ = 0;  // lines of the board on screen
  int64_t last_draw_us_ = 0;
};

// "[=====>      ] 1.2MB/3.4MB"
std::string progress_bar(int64_t done, int64_t total, int width = 40);

}  // namespace mydocker::cli
