// Shared FFmpeg glue for the components that decode through libav* (video, audio):
// reading from a memory buffer (never a path or URL), silenced logging, error text and
// RAII closers. Thread safety: free functions and per-call objects; QuietFfmpegLogs is
// idempotent and thread-safe.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
}

#include <cstdint>
#include <string>

namespace vigil::media::av {

// Size of the buffer handed to avio_alloc_context.
inline constexpr int kIoBufferSize = 64 * 1024;

// av_strerror as a string.
std::string AvError(int err);

// FFmpeg logs to stderr by default; on hostile input that is a flood. vigil reports
// through Status instead, so the library is silenced once per process.
void QuietFfmpegLogs();

// The bytes an AVIOContext reads from; ReadPacket and Seek are its callbacks.
struct MemoryReader {
  const uint8_t* data = nullptr;
  int64_t size = 0;
  int64_t pos = 0;
};
int ReadPacket(void* opaque, uint8_t* buf, int buf_size);
int64_t Seek(void* opaque, int64_t offset, int whence);

struct FormatCloser {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct CodecCloser {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct IoCloser {
  void operator()(AVIOContext* p) const {
    if (p != nullptr) {
      av_freep(&p->buffer);
      avio_context_free(&p);
    }
  }
};
struct FrameCloser {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketCloser {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

}  // namespace vigil::media::av
