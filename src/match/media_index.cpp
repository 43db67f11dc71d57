#include "match/media_index.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "audio/audio.h"
#include "index/mih_index.h"
#include "text/minhash.h"
#include "text/normalize.h"
#include "video/tmk.h"

namespace vigil::match {
namespace {

using store::SignalType;

class MihFrameSearcher final : public video::FrameSearcher {
 public:
  void Add(uint64_t id, const Hash256& hash) override {
    // Ids are the bank's frame positions, always new: Add cannot fail on them.
    (void)index_.Add(id, hash);
  }
  void Search(const Hash256& query, int radius, std::vector<uint64_t>* ids) const override {
    for (const auto& m : index_.Search(query, radius)) ids->push_back(m.id);
  }
  size_t size() const { return index_.Size(); }

 private:
  index::MihIndex index_;
};

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard padded base64 (the canonical tmk form).
Result<std::vector<uint8_t>> DecodeBase64(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::vector<uint8_t> out;
  out.reserve(s.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = Base64Value(c);
    if (v < 0) return Status::InvalidArgument("not base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

Result<std::vector<video::VpdqFrame>> ParseVpdqValue(const std::string& value) {
  std::string text = value;
  std::replace(text.begin(), text.end(), ';', '\n');
  return video::ParseVpdq(text);
}

}  // namespace

bool IsMediaSignalType(SignalType type) {
  return type == SignalType::kVpdq || type == SignalType::kTmk || type == SignalType::kAudio ||
         type == SignalType::kText;
}

std::unique_ptr<video::FrameSearcher> MakeMihFrameSearcher() {
  return std::make_unique<MihFrameSearcher>();
}

struct MediaIndex::Impl {
  MihFrameSearcher* frames = nullptr;  // owned by vpdq
  video::VpdqBank vpdq;
  std::map<int64_t, video::TmkSignature> tmk;  // ordered: results come out by id
  std::map<int64_t, std::vector<uint32_t>> audio;
  text::TextIndex text_index;
  std::unordered_map<std::string, std::vector<int64_t>> text_exact;  // matching form -> ids
  std::unordered_set<int64_t> removed;

  Impl()
      : vpdq(video::VpdqMatchOptions{}, [this] {
          auto s = std::make_unique<MihFrameSearcher>();
          frames = s.get();
          return s;
        }()) {}
};

MediaIndex::MediaIndex() : impl_(std::make_unique<Impl>()) {}
MediaIndex::~MediaIndex() = default;

Status MediaIndex::Add(int64_t id, SignalType type, const std::string& value) {
  Impl& im = *impl_;
  im.removed.erase(id);
  switch (type) {
    case SignalType::kVpdq: {
      VIGIL_ASSIGN_OR_RETURN(auto frames, ParseVpdqValue(value));
      Status st = im.vpdq.Add(static_cast<uint64_t>(id), frames);
      // A signal removed and applied again (the same value: values never change) is
      // already in the bank; taking it off `removed` brought it back.
      return st.code() == StatusCode::kAlreadyExists ? Status::OK() : st;
    }
    case SignalType::kTmk: {
      VIGIL_ASSIGN_OR_RETURN(auto bytes, DecodeBase64(value));
      VIGIL_ASSIGN_OR_RETURN(auto sig, video::ParseTmk(bytes));
      im.tmk[id] = std::move(sig);
      return Status::OK();
    }
    case SignalType::kAudio: {
      VIGIL_ASSIGN_OR_RETURN(auto fp, audio::DecodeFingerprint(value));
      im.audio[id] = std::move(fp.raw);
      return Status::OK();
    }
    case SignalType::kText: {
      VIGIL_ASSIGN_OR_RETURN(std::string form, text::MatchingForm(value));
      if (form.empty()) return Status::InvalidArgument("no text left after normalisation");
      VIGIL_ASSIGN_OR_RETURN(text::MinHash m, text::ComputeMinHash(form));
      im.text_index.Add(static_cast<uint64_t>(id), m);
      im.text_exact[form].push_back(id);
      return Status::OK();
    }
    default: return Status::InvalidArgument("not a media signal type");
  }
}

void MediaIndex::Remove(int64_t id) {
  impl_->removed.insert(id);
  // Scans hold no frames; drop their data now.
  impl_->tmk.erase(id);
  impl_->audio.erase(id);
}

size_t MediaIndex::vpdq_frames() const { return impl_->frames->size(); }

std::vector<MediaHit> MediaIndex::Search(SignalType type, const std::string& value) const {
  const Impl& im = *impl_;
  std::vector<MediaHit> out;
  switch (type) {
    case SignalType::kVpdq: {
      auto frames = ParseVpdqValue(value);
      if (!frames.ok()) return out;
      for (const auto& m : im.vpdq.Search(*frames)) {
        const auto id = static_cast<int64_t>(m.video_id);
        if (im.removed.count(id)) continue;
        out.push_back({id, m.result.compared_match_percent / 100.0});
      }
      break;
    }
    case SignalType::kTmk: {
      auto bytes = DecodeBase64(value);
      if (!bytes.ok()) return out;
      auto q = video::ParseTmk(*bytes);
      if (!q.ok()) return out;
      for (const auto& [id, sig] : im.tmk) {
        auto m = video::TmkCompare(*q, sig);
        if (m.ok() && m->is_match) out.push_back({id, std::clamp<double>(m->level2, 0, 1)});
      }
      break;
    }
    case SignalType::kAudio: {
      auto q = audio::DecodeFingerprint(value);
      if (!q.ok()) return out;
      for (const auto& [id, raw] : im.audio) {
        auto m = audio::CompareFingerprints(q->raw, raw);
        if (m.match) out.push_back({id, 1.0 - m.bit_error_rate});
      }
      break;
    }
    case SignalType::kText: {
      auto form = text::MatchingForm(value);
      if (!form.ok() || form->empty()) return out;
      std::unordered_set<int64_t> seen;
      if (auto it = im.text_exact.find(*form); it != im.text_exact.end()) {
        for (int64_t id : it->second) {
          if (!im.removed.count(id) && seen.insert(id).second) out.push_back({id, 1.0});
        }
      }
      auto m = text::ComputeMinHash(*form);
      if (!m.ok()) break;
      for (const auto& t :
           im.text_index.Query(*m, text::kDefaultNearDuplicateSimilarity, SIZE_MAX)) {
        const auto id = static_cast<int64_t>(t.id);
        if (!im.removed.count(id) && seen.insert(id).second) out.push_back({id, t.similarity});
      }
      break;
    }
    default: break;
  }
  std::sort(out.begin(), out.end(), [](const MediaHit& a, const MediaHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  return out;
}

}  // namespace vigil::match
