#include "video/vpdq.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "signals/pdq.h"

namespace vigil::video {

Result<std::vector<VpdqFrame>> HashVpdq(std::span<const uint8_t> video_bytes,
                                        const VpdqOptions& options) {
  if (!(options.seconds_per_hash >= 0) || options.seconds_per_hash > 1e6) {
    return Status::InvalidArgument("seconds per hash must be >= 0");
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<VideoDecoder> decoder,
                         VideoDecoder::Open(video_bytes, options.limits));
  const StreamInfo& info = decoder->info();
  const double frame_rate = info.avg_frame_rate.ToDouble();
  if (!(frame_rate > 0)) return Status::Unsupported("video frame rate is unknown");
  const int width = info.width, height = info.height;
  if (width < pdq::kMinHashableDim || height < pdq::kMinHashableDim) {
    return Status::Unsupported("video frames are smaller than " +
                               std::to_string(pdq::kMinHashableDim) + " px");
  }
  // The reference truncates seconds * rate to int; 0 (sub-1 fps sampling) means every frame.
  const double mod_d = options.seconds_per_hash * frame_rate;
  int64_t frame_mod = mod_d >= 1 ? static_cast<int64_t>(mod_d) : 1;
  const float rate_f = static_cast<float>(frame_rate);

  std::vector<VpdqFrame> out;
  RgbImage rgb;
  std::vector<float> luma(static_cast<size_t>(width) * height);
  Status s = decoder->ForEachFrame([&](const Frame& frame) -> Status {
    if (frame.index() % frame_mod != 0) return Status::OK();
    VIGIL_RETURN_IF_ERROR(decoder->ToRgb(frame, width, height, ScaleFilter::kArea, &rgb));
    float* l = luma.data();
    for (int y = 0; y < height; ++y) {
      const uint8_t* p = rgb.Row(y);
      for (int x = 0; x < width; ++x, p += 3) *l++ = pdq::Luma(p[0], p[1], p[2]);
    }
    pdq::PdqHash h = pdq::HashLuma(luma, height, width);
    VpdqFrame f;
    f.frame_number = static_cast<int>(frame.index());
    f.quality = h.quality;
    f.hash = h.hash;
    f.timestamp = static_cast<double>(static_cast<float>(frame.index()) / rate_f);
    out.push_back(f);
    if (options.max_hashes > 0 && static_cast<int64_t>(out.size()) >= options.max_hashes) {
      decoder->StopAfterThisFrame();
    }
    return Status::OK();
  });
  VIGIL_RETURN_IF_ERROR(s);
  return out;
}

std::string FormatVpdq(std::span<const VpdqFrame> frames) {
  std::string out;
  out.reserve(frames.size() * 80);
  char buf[64];
  for (const VpdqFrame& f : frames) {
    out += std::to_string(f.frame_number);
    out += ',';
    out += std::to_string(f.quality);
    out += ',';
    out += f.hash.ToHex();
    std::snprintf(buf, sizeof(buf), ",%.3f\n", f.timestamp);
    out += buf;
  }
  return out;
}

namespace {

// Far beyond any video the limits let through; keeps the formatted text short.
constexpr double kMaxTimestamp = 1e9;

template <typename T>
bool ParseInt(std::string_view s, T* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*v);
}

}  // namespace

Result<std::vector<VpdqFrame>> ParseVpdq(std::string_view text, size_t max_lines) {
  std::vector<VpdqFrame> frames;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (frames.size() >= max_lines) {
      return Status::ResourceExhausted("vPDQ text has more than " + std::to_string(max_lines) +
                                       " lines");
    }
    std::string_view field[4];
    int n = 0;
    size_t start = 0;
    for (; n < 4; ++n) {
      size_t comma = line.find(',', start);
      if (n == 3 || comma == std::string_view::npos) {
        field[n] = line.substr(start);
        ++n;
        break;
      }
      field[n] = line.substr(start, comma - start);
      start = comma + 1;
    }
    auto bad = [&](const char* what) {
      return Status::InvalidArgument("vPDQ line " + std::to_string(line_no) + ": " + what);
    };
    if (n != 4) return bad("expected frame,quality,hash,timestamp");
    VpdqFrame f;
    if (!ParseInt(field[0], &f.frame_number) || f.frame_number < 0) return bad("bad frame number");
    if (!ParseInt(field[1], &f.quality) || f.quality < 0 || f.quality > 100) {
      return bad("bad quality");
    }
    auto h = Hash256::FromHex(field[2]);
    if (!h.ok()) return bad("bad hash");
    f.hash = *h;
    if (!ParseDouble(field[3], &f.timestamp) || f.timestamp < 0 || f.timestamp > kMaxTimestamp) {
      return bad("bad timestamp");
    }
    frames.push_back(f);
  }
  if (frames.empty()) return Status::InvalidArgument("vPDQ text has no frames");
  return frames;
}

std::vector<VpdqFrame> UniqueGoodFrames(std::span<const VpdqFrame> frames, int min_quality) {
  std::vector<VpdqFrame> out;
  std::unordered_set<Hash256, Hash256Hasher> seen;
  for (const VpdqFrame& f : frames) {
    if (f.quality < min_quality) continue;
    if (seen.insert(f.hash).second) out.push_back(f);
  }
  return out;
}

namespace {

size_t CountFoundIn(std::span<const VpdqFrame> a, std::span<const VpdqFrame> b, int distance) {
  size_t n = 0;
  for (const VpdqFrame& x : a) {
    for (const VpdqFrame& y : b) {
      if (HammingDistance(x.hash, y.hash) <= distance) {
        ++n;
        break;
      }
    }
  }
  return n;
}

bool Decide(VpdqMatchResult& r, const VpdqMatchOptions& o) {
  return r.compared_match_percent >= o.compared_match_percent &&
         r.query_match_percent >= o.query_match_percent;
}

}  // namespace

VpdqMatchResult MatchVpdq(std::span<const VpdqFrame> query, std::span<const VpdqFrame> compared,
                          const VpdqMatchOptions& options) {
  VpdqMatchResult r;
  const auto q = UniqueGoodFrames(query, options.quality_threshold);
  const auto c = UniqueGoodFrames(compared, options.quality_threshold);
  if (q.empty() || c.empty()) return r;
  r.query_match_percent =
      CountFoundIn(q, c, options.distance_threshold) * 100.0 / static_cast<double>(q.size());
  r.compared_match_percent =
      CountFoundIn(c, q, options.distance_threshold) * 100.0 / static_cast<double>(c.size());
  r.is_match = Decide(r, options);
  return r;
}

namespace {

class BruteForceFrameSearcher final : public FrameSearcher {
 public:
  void Add(uint64_t id, const Hash256& hash) override { entries_.push_back({id, hash}); }
  void Search(const Hash256& query, int radius, std::vector<uint64_t>* ids) const override {
    for (const auto& e : entries_) {
      if (HammingDistance(e.hash, query) <= radius) ids->push_back(e.id);
    }
  }

 private:
  struct Entry {
    uint64_t id;
    Hash256 hash;
  };
  std::vector<Entry> entries_;
};

}  // namespace

std::unique_ptr<FrameSearcher> MakeBruteForceFrameSearcher() {
  return std::make_unique<BruteForceFrameSearcher>();
}

VpdqBank::VpdqBank(VpdqMatchOptions options, std::unique_ptr<FrameSearcher> searcher)
    : options_(options), searcher_(std::move(searcher)) {}

Status VpdqBank::Add(uint64_t video_id, std::span<const VpdqFrame> frames) {
  if (ids_.count(video_id)) return Status::AlreadyExists("video id already in the bank");
  const auto good = UniqueGoodFrames(frames, options_.quality_threshold);
  if (frame_video_.size() + good.size() > UINT32_MAX) {
    return Status::ResourceExhausted("vPDQ bank is full");
  }
  ids_.insert(video_id);
  const auto index = static_cast<uint32_t>(videos_.size());
  videos_.push_back({video_id, good.size()});
  for (const VpdqFrame& f : good) {
    searcher_->Add(frame_video_.size(), f.hash);
    frame_video_.push_back(index);
  }
  return Status::OK();
}

std::vector<VpdqBankMatch> VpdqBank::Search(std::span<const VpdqFrame> query) const {
  const auto q = UniqueGoodFrames(query, options_.quality_threshold);
  std::vector<VpdqBankMatch> out;
  if (q.empty()) return out;
  // For each candidate video: how many query frames found something in it, and which of its
  // frames were found by some query frame. Distance is symmetric, so one pass of radius
  // searches answers both directions.
  std::unordered_map<uint32_t, size_t> query_hits;
  std::unordered_set<uint64_t> stored_hit;
  std::vector<uint64_t> ids;
  std::unordered_set<uint32_t> videos_for_frame;
  for (const VpdqFrame& f : q) {
    ids.clear();
    searcher_->Search(f.hash, options_.distance_threshold, &ids);
    videos_for_frame.clear();
    for (uint64_t id : ids) {
      stored_hit.insert(id);
      videos_for_frame.insert(frame_video_[id]);
    }
    for (uint32_t v : videos_for_frame) ++query_hits[v];
  }
  std::unordered_map<uint32_t, size_t> stored_hits;
  for (uint64_t id : stored_hit) ++stored_hits[frame_video_[id]];
  for (const auto& [v, qh] : query_hits) {
    const Video& video = videos_[v];
    VpdqMatchResult r;
    r.query_match_percent = qh * 100.0 / static_cast<double>(q.size());
    r.compared_match_percent = stored_hits[v] * 100.0 / static_cast<double>(video.good_frames);
    r.is_match = Decide(r, options_);
    if (r.is_match) out.push_back({video.id, r});
  }
  std::sort(out.begin(), out.end(),
            [](const VpdqBankMatch& a, const VpdqBankMatch& b) { return a.video_id < b.video_id; });
  return out;
}

}  // namespace vigil::video
