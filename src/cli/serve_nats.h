// `vigil serve --nats`: the server's work queue (server/work_queue.h) over JetStream, through
// the one producer every command shares (worker::WorkPublisher). Kept out of the server
// library so that it stays free of broker code.
// Thread safety: the returned queue may be used from every server thread (one mutex).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "server/work_queue.h"

namespace vigil::cli {

struct NatsQueueFlags {
  std::string urls;  // empty: no queue
  std::string work_stream = "VIGIL_WORK";
  std::string bank_stream = "VIGIL_BANKS";
  int replicas = 1;
};

// Unavailable if no NATS server answers.
Result<std::shared_ptr<server::WorkQueue>> ConnectWorkQueue(const NatsQueueFlags& flags,
                                                            const std::string& client_name);
// Releases the NATS client library's threads at process end (after every queue is gone).
void CloseNats();

}  // namespace vigil::cli
