// Similarity search for the media signal types a bank holds besides PDQ: vPDQ, TMK+PDQF,
// audio fingerprints and text. Match::Matcher keeps one MediaIndex beside its PDQ index
// and exact maps; values are the canonical bank forms (store::CanonicalSignalValue,
// pipeline/any_media.h).
//
//   vpdq   upstream's rule (video::VpdqBank): unique frames, quality >= F, a frame matches
//          within Hamming distance D, the stored video matches when the share of its
//          frames found >= Pc and the share of the query's >= Pq. Frames of every stored
//          video sit in one exact MIH index (src/index), so a query costs one radius search
//          per unique query frame, not a scan of the bank (MakeMihFrameSearcher).
//   tmk    level 1 (cosine of the average features) >= 0.7 over every stored signature,
//          then level 2 >= 0.7 on those that pass (video::TmkCompare, the reference's
//          thresholds). A scan: level 1 is one 256-float dot product per signature.
//   audio  bit error rate with alignment (audio::CompareFingerprints) against every stored
//          fingerprint. A scan: O(|a|*|b|) per pair, fine for banks of thousands of clips.
//   text   the matching form (text::MatchingForm) equal, or MinHash near-duplicates found
//          through the LSH index (text::TextIndex) with estimated Jaccard >= 0.5.
//
// Every hit carries a score in 0..1: vpdq the stored video's share of frames matched,
// tmk the level-2 score, audio 1 - BER, text the estimated Jaccard (1 for equal forms).
//
// Removal: Remove(id) takes the signal out of every answer at once; the vPDQ frames stay
// in the MIH index (marked dead) and are reclaimed by the next Matcher::Load.
//
// Thread safety: Add and Remove need exclusive access; any number of threads may call
// Search at once when nobody writes (Matcher's lock gives exactly that).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "store/model.h"
#include "video/vpdq.h"

namespace vigil::match {

// True for the types MediaIndex handles.
bool IsMediaSignalType(store::SignalType type);

// A video::FrameSearcher over the exact MIH index (exact for every radius, like the brute
// force one, and sublinear for the radii vPDQ uses).
std::unique_ptr<video::FrameSearcher> MakeMihFrameSearcher();

struct MediaHit {
  int64_t id = 0;
  double score = 0;  // 0..1, see above
};

class MediaIndex {
 public:
  MediaIndex();
  ~MediaIndex();
  // Parses `value` (canonical form of `type`) and indexes it under signal `id` (new ids
  // only). InvalidArgument/Corruption when the value does not parse; the caller keeps the
  // signal for exact matching anyway.
  Status Add(int64_t id, store::SignalType type, const std::string& value);
  void Remove(int64_t id);
  // Live signals matching the query value, best score first (ties by id). A value that
  // does not parse matches nothing.
  std::vector<MediaHit> Search(store::SignalType type, const std::string& value) const;
  size_t vpdq_frames() const;  // frames in the MIH index (live and dead)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::match
