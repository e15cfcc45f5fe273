#pragma once
// The human texts docker's commands print, and the column layout of its tables.

#include <cstdint>
#include <string>
#include <vector>

#include "mydocker/store/state.hpp"

namespace mydocker {

// "3 minutes", "About an hour", as docker's units.HumanDuration.
std::string human_duration(double seconds);
// docker's image sizes (go-units HumanSizeWithPrecision(n, 3)): 3 significant digits, decimal
// units: 0 -> "0B", 1234 -> "1.23kB", 4260000 -> "4.26MB".
std::string human_size(int64_t bytes);
// "Up 3 minutes", "Exited (137) 5 seconds ago (OOM)", ... as `ps` shows it.
std::string status_text(const ContainerState& st, bool supervisor_alive, double now);
// "12.34%"
std::string percent(double value);
// docker's Ellipsis (its formatter's): `s` cut to `max` display columns, the last one "…"; East
// Asian wide and fullwidth characters take two columns. A cut never splits a UTF-8 character.
std::string ellipsis(const std::string& s, size_t max);
// Go's strconv.Quote (docker's ps Command): in double quotes, with \" and \\, control characters
// as \n, \t, \x1b..., bytes that are not UTF-8 as \xNN; other characters as they are.
std::string go_quote(const std::string& s);
// Seconds since the epoch, now (the wall clock, as the records' times).
double now_seconds();

// Rows of cells as columns: each cell padded to its column's widest plus `gap` spaces, at least
// `min_width` wide; the last column is not padded. Widths in characters (UTF-8 code points), as
// Go's tabwriter counts them for docker's tables.
std::string format_columns(const std::vector<std::vector<std::string>>& rows, size_t gap,
                           size_t min_width = 0);

}  // namespace mydocker
