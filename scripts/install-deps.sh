#!/usr/bin/env bash
# Installs every Debian 12 package that vigil's build, tests and benchmarks need.
# Idempotent and non-interactive: packages already present are skipped, so a second
# run costs one dpkg query. Called by `make run`, `make test` and `make bench`.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache clang clang-format clang-tidy
  libclang-rt-14-dev
  # core: images, hashing, crypto
  libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev libtiff-dev libexif-dev
  libssl-dev zlib1g-dev
  # cli, logging, tests, benches
  libcli11-dev libfmt-dev libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev
  libfaiss-dev
  # store
  libsqlite3-dev sqlite3 libpq-dev postgresql postgresql-client
  # server, formats, collection
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev prometheus-cpp-dev
  libpsl-dev publicsuffix libxml2-dev libidn2-dev python3 python3-jsonschema python3-aiosmtpd
  python3-yaml wrk curl
  # video, audio, text, ocr
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev ffmpeg
  libchromaprint-dev libicu-dev libcld2-dev libtesseract-dev tesseract-ocr
  tesseract-ocr-osd tesseract-ocr-eng tesseract-ocr-ara tesseract-ocr-fra tesseract-ocr-ita
  tesseract-ocr-deu tesseract-ocr-rus tesseract-ocr-tur tesseract-ocr-fas tesseract-ocr-urd
  tesseract-ocr-script-arab python3-pil fonts-dejavu-core fonts-noto-core
  # web console end-to-end tests (Node.js 20 comes with the machine; npm ci in console/)
  chromium
  # scale-out
  libnats-dev nats-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
