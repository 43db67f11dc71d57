// PdqSampler: a streaming RowSink that keeps only the pixels the reference PDQ pipeline
// reads (the nearest-neighbour 512x512 grid of the displayed image), so hashing a 12 MP
// photo never holds the photo. It applies EXIF orientation and the all-grey collapse
// itself, and its luma equals, value for value, that of DecodeImage + HashLikeReference.
// Thread safety: one instance per decode; not shared.
#pragma once

#include <vector>

#include "media/image.h"
#include "signals/pdq.h"

namespace vigil::pipeline {

class PdqSampler : public media::RowSink {
 public:
  explicit PdqSampler(bool apply_orientation = true) : apply_orientation_(apply_orientation) {}

  Status Begin(int width, int height, int channels, int orientation) override;
  void Row(int y, const uint8_t* pixels) override;

  // After a successful decode: the displayed size and the luma grid to hash.
  int displayed_width() const { return disp_w_; }
  int displayed_height() const { return disp_h_; }
  int grid_rows() const { return grid_h_; }
  int grid_cols() const { return grid_w_; }
  // Builds the luma grid (grid_rows x grid_cols). Call once, after the last row.
  std::vector<float> Luma() const;

 private:
  bool apply_orientation_;
  int w_ = 0, h_ = 0, c_ = 0, orientation_ = 1;
  int disp_w_ = 0, disp_h_ = 0, grid_w_ = 0, grid_h_ = 0;
  bool all_grey_ = true;
  // Stored rows and columns the grid reads, and where each lands in samples_.
  std::vector<int> row_slot_;     // stored row -> slot, or -1 if not needed
  std::vector<int> cols_;         // distinct stored columns, ascending
  std::vector<int> grid_row_;     // grid index -> stored row  (per axis, see Begin)
  std::vector<int> grid_col_;     // grid index -> stored column
  std::vector<int> col_slot_;     // stored column -> slot
  std::vector<uint8_t> samples_;  // slots_rows x cols_.size() x c_
};

}  // namespace vigil::pipeline
