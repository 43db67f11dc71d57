// Test support for the scale-out tests: a JetStream cluster of nats-server processes and a
// throwaway PostgreSQL server, both on loopback (PostgreSQL on a Unix socket) in temporary
// directories, plus `vigil` child processes that tests can kill -9.
// Thread safety: call from the test's main thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace vigil::worker::testing {

// Where the binaries are; empty if not installed.
std::string NatsServerBinary();
std::string PostgresBinDir();

class NatsCluster {
 public:
  // Starts `nodes` JetStream servers clustered over loopback routes.
  static Result<std::unique_ptr<NatsCluster>> Start(int nodes);
  ~NatsCluster();
  std::string urls() const;  // every node, comma-separated
  int size() const { return static_cast<int>(nodes_.size()); }
  // Index of the node with this server name ("n1"...), -1 if none.
  int IndexOf(const std::string& server_name) const;
  void Kill(int i);  // SIGKILL, no shutdown
  Status Restart(int i);
  const std::string& dir() const { return dir_; }

 private:
  struct Node {
    std::string name, config, log;
    int port = 0;
    pid_t pid = -1;
  };
  Status Launch(Node& n);
  std::string dir_;
  std::vector<Node> nodes_;
};

class PgServer {
 public:
  static Result<std::unique_ptr<PgServer>> Start();
  ~PgServer();
  // A new empty database; returns its libpq connection string.
  Result<std::string> CreateDatabase(const std::string& name);
  Status Stop();    // immediate shutdown (like a crash: no checkpoint)
  Status Resume();  // start again after Stop
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool running_ = false;
};

// Runs `program` with `args`, stdout and stderr to `log`. Returns the pid.
pid_t SpawnProcess(const std::string& program, const std::vector<std::string>& args,
                   const std::string& log);
// Runs VIGIL_BINARY_DIR/vigil with `args`, stdout and stderr to `log`. Returns the pid.
pid_t SpawnVigil(const std::vector<std::string>& args, const std::string& log);
// Runs it to completion; returns the exit status (-1 if it could not run).
int RunVigil(const std::vector<std::string>& args, const std::string& log);
// SIGTERM then wait (SIGKILL after `grace_ms`).
void StopProcess(pid_t pid, int grace_ms = 5000);
std::string ReadFile(const std::string& path);

}  // namespace vigil::worker::testing
