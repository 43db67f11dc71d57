// Media folder reader: every image, video or audio file below a folder becomes an item,
// in sorted path order. Symbolic links are not followed (a link could lead anywhere);
// files that are not media are skipped.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "collect/source.h"

namespace vigil::collect::readers {
namespace fs = std::filesystem;
namespace {

// Audio has no magic SniffContentType knows; these extensions are trusted for it only.
bool IsAudioExtension(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".mp3" || ext == ".ogg" || ext == ".opus" || ext == ".m4a" || ext == ".wav" ||
         ext == ".flac";
}

std::string SniffFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char buf[64];
  f.read(buf, sizeof buf);
  return SniffContentType(std::string_view(buf, static_cast<size_t>(f.gcount())));
}

}  // namespace

bool AcceptsFolder(const SourceInput& in) { return in.is_directory; }

Status ReadFolder(const SourceInput& in, const SourceOptions& options, const ItemSink& sink) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(in.path, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::IOError(in.path + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IOError(in.path + ": " + ec.message());
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    if (files.size() >= options.max_folder_files) {
      return Status::ResourceExhausted(in.path + ": more than " +
                                       std::to_string(options.max_folder_files) + " files");
    }
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::string folder = fs::path(in.path).lexically_normal().filename().string();
  if (folder.empty())
    folder = fs::path(in.path).lexically_normal().parent_path().filename().string();
  for (const auto& p : files) {
    std::string type = SniffFile(p);
    std::string role;
    if (type.rfind("image/", 0) == 0) {
      role = "image";
    } else if (type.rfind("video/", 0) == 0) {
      role = "video";
    } else if (IsAudioExtension(p.extension().string())) {
      role = "audio";
    } else {
      continue;
    }
    std::string rel = p.lexically_relative(in.path).generic_string();
    Item item;
    item.kind = "folder";
    item.origin = in.origin;
    item.channel = folder;
    // Identity by place in the folder: the same tree scanned again gives the same ids.
    item.id = "folder:" + folder + ":" + rel;
    item.title = p.filename().string();
    item.media.push_back({p.string(), "", role == "audio" ? "" : type, role, false});
    VIGIL_RETURN_IF_ERROR(sink(std::move(item)));
  }
  return Status::OK();
}

}  // namespace vigil::collect::readers
