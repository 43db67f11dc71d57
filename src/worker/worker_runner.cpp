// A `vigil worker` for the cluster tests: the same Worker, without the rest of the command
// line, so the tests can kill -9 real worker processes without building the whole CLI.
//   vigil_worker_runner --nats URLS --db DB --name N --stream S --banks-stream B
//                       --replicas R --ack-wait S --max-deliver N --retry-delay S --batch N
//                       --metrics-interval S --report-interval S --allow-loopback-fetch 0|1
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "worker/worker.h"

namespace {
vigil::worker::Worker* g_worker = nullptr;
extern "C" void OnStop(int) {
  if (g_worker != nullptr) g_worker->RequestStop();
}
std::chrono::milliseconds Ms(const char* seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::atof(seconds) * 1000));
}
}  // namespace

int main(int argc, char** argv) {
  vigil::worker::WorkerOptions o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--nats")
      o.nats_urls = v;
    else if (k == "--db")
      o.db = v;
    else if (k == "--name")
      o.name = v;
    else if (k == "--stream")
      o.names.work_stream = v;
    else if (k == "--banks-stream")
      o.names.bank_stream = v;
    else if (k == "--replicas")
      o.setup.replicas = std::atoi(v);
    else if (k == "--ack-wait")
      o.setup.ack_wait = Ms(v);
    else if (k == "--max-deliver")
      o.setup.max_deliver = std::atoi(v);
    else if (k == "--retry-delay")
      o.retry_delay = Ms(v);
    else if (k == "--batch")
      o.batch = std::atoi(v);
    else if (k == "--metrics-interval")
      o.metrics_interval = Ms(v);
    else if (k == "--report-interval")
      o.report_interval = Ms(v);
    else if (k == "--allow-loopback-fetch")  // value 1: tests serve media on loopback
      o.allow_loopback_fetch = std::string(v) == "1";
    else {
      std::fprintf(stderr, "vigil_worker_runner: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  int rc = 0;
  {
    vigil::worker::Worker w(o);
    g_worker = &w;
    std::signal(SIGTERM, OnStop);
    std::signal(SIGINT, OnStop);
    vigil::Status s = w.Run();
    g_worker = nullptr;
    if (!s.ok()) {
      std::fprintf(stderr, "vigil_worker_runner: %s\n", s.ToString().c_str());
      rc = 1;
    }
  }
  vigil::worker::ShutdownNats();
  return rc;
}
