#include "pipeline/pdq_sampler.h"

#include <algorithm>

namespace vigil::pipeline {
namespace {

// Nearest-neighbour source index, as CImg's resize (and pdq::internal::LumaFromView).
int Nearest(int i, int in, int out) {
  return out == in ? i : static_cast<int>(static_cast<uint64_t>(static_cast<double>(i) * in / out));
}

}  // namespace

Status PdqSampler::Begin(int width, int height, int channels, int orientation) {
  w_ = width, h_ = height, c_ = channels;
  orientation_ = apply_orientation_ && orientation >= 1 && orientation <= 8 ? orientation : 1;
  const bool swap = orientation_ >= 5;
  disp_w_ = swap ? h_ : w_;
  disp_h_ = swap ? w_ : h_;
  const int lim = pdq::kReferenceDownsampleDim;
  const bool stretch = disp_w_ > lim || disp_h_ > lim;
  grid_w_ = stretch ? lim : disp_w_;
  grid_h_ = stretch ? lim : disp_h_;

  // Displayed coordinate of each grid column/row, then the stored coordinate it reads.
  // Orientations 1-4 keep axes (stored x from displayed x); 5-8 swap them.
  std::vector<int> dx(grid_w_), dy(grid_h_);
  for (int i = 0; i < grid_w_; ++i) dx[i] = Nearest(i, disp_w_, grid_w_);
  for (int j = 0; j < grid_h_; ++j) dy[j] = Nearest(j, disp_h_, grid_h_);
  const bool flip_x =
      orientation_ == 2 || orientation_ == 3 || orientation_ == 7 || orientation_ == 8;
  const bool flip_y =
      orientation_ == 3 || orientation_ == 4 || orientation_ == 6 || orientation_ == 7;
  // Stored column from the displayed coordinate along the axis that maps to stored x.
  const std::vector<int>& to_x = swap ? dy : dx;
  const std::vector<int>& to_y = swap ? dx : dy;
  grid_col_.resize(to_x.size());
  for (size_t i = 0; i < to_x.size(); ++i) grid_col_[i] = flip_x ? w_ - 1 - to_x[i] : to_x[i];
  grid_row_.resize(to_y.size());
  for (size_t i = 0; i < to_y.size(); ++i) grid_row_[i] = flip_y ? h_ - 1 - to_y[i] : to_y[i];

  cols_ = grid_col_;
  std::sort(cols_.begin(), cols_.end());
  cols_.erase(std::unique(cols_.begin(), cols_.end()), cols_.end());
  col_slot_.assign(w_, -1);
  for (size_t k = 0; k < cols_.size(); ++k) col_slot_[cols_[k]] = static_cast<int>(k);
  row_slot_.assign(h_, -1);
  int slots = 0;
  std::vector<int> rows = grid_row_;
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  for (int r : rows) row_slot_[r] = slots++;
  samples_.assign(static_cast<size_t>(slots) * cols_.size() * c_, 0);
  all_grey_ = true;
  return Status::OK();
}

void PdqSampler::Row(int y, const uint8_t* px) {
  if (y < 0 || y >= h_) return;
  if (c_ == 3 && all_grey_) {
    // ImageMagick writes an all-grey picture as one channel; that changes the luma
    // arithmetic, so every row is checked, not only the sampled ones.
    for (int x = 0; x < w_; ++x) {
      const uint8_t* p = px + 3 * x;
      if (p[0] != p[1] || p[1] != p[2]) {
        all_grey_ = false;
        break;
      }
    }
  }
  const int slot = row_slot_[y];
  if (slot < 0) return;
  uint8_t* dst = samples_.data() + static_cast<size_t>(slot) * cols_.size() * c_;
  for (size_t k = 0; k < cols_.size(); ++k) {
    const uint8_t* p = px + static_cast<size_t>(cols_[k]) * c_;
    for (int ch = 0; ch < c_; ++ch) dst[k * c_ + ch] = p[ch];
  }
}

std::vector<float> PdqSampler::Luma() const {
  std::vector<float> luma(static_cast<size_t>(grid_w_) * grid_h_);
  const bool swap = orientation_ >= 5;
  const size_t row_bytes = cols_.size() * c_;
  for (int j = 0; j < grid_h_; ++j) {
    for (int i = 0; i < grid_w_; ++i) {
      // Stored pixel for displayed grid cell (i, j).
      const int sx = grid_col_[swap ? j : i];
      const int sy = grid_row_[swap ? i : j];
      const uint8_t* p = samples_.data() + static_cast<size_t>(row_slot_[sy]) * row_bytes +
                         static_cast<size_t>(col_slot_[sx]) * c_;
      luma[static_cast<size_t>(j) * grid_w_ + i] =
          (c_ == 1 || all_grey_) ? static_cast<float>(p[0]) : pdq::Luma(p[0], p[1], p[2]);
    }
  }
  return luma;
}

}  // namespace vigil::pipeline
