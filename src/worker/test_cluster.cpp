#include "worker/test_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/sql.h"

namespace vigil::worker::testing {
namespace {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

bool PortOpen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

int Shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string MakeTempDir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  return mkdtemp(buf.data()) ? std::string(buf.data()) : std::string();
}

}  // namespace

std::string NatsServerBinary() {
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::string PostgresBinDir() {
  const char* d = "/usr/lib/postgresql/15/bin";
  return access((std::string(d) + "/initdb").c_str(), X_OK) == 0 ? d : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// --- NATS ----------------------------------------------------------------------------------
Result<std::unique_ptr<NatsCluster>> NatsCluster::Start(int nodes) {
  if (NatsServerBinary().empty()) return Status::NotFound("nats-server is not installed");
  std::unique_ptr<NatsCluster> c(new NatsCluster());
  c->dir_ = MakeTempDir("vigil-nats");
  if (c->dir_.empty()) return Status::Internal("mkdtemp failed");
  std::vector<int> route_ports;
  c->nodes_.resize(nodes);
  for (int i = 0; i < nodes; ++i) {
    c->nodes_[i].port = FreeLoopbackPort();
    route_ports.push_back(FreeLoopbackPort());
  }
  for (int i = 0; i < nodes; ++i) {
    Node& n = c->nodes_[i];
    n.name = "n" + std::to_string(i + 1);
    n.config = c->dir_ + "/" + n.name + ".conf";
    n.log = c->dir_ + "/" + n.name + ".log";
    std::ofstream f(n.config);
    f << "server_name: " << n.name << "\n"
      << "listen: 127.0.0.1:" << n.port << "\n"
      << "jetstream { store_dir: \"" << c->dir_ << "/" << n.name
      << "\", max_memory_store: 64MB, max_file_store: 1GB }\n";
    if (nodes > 1) {  // a one-node "cluster" is a plain server: JetStream refuses no routes
      f << "cluster {\n  name: vigiltest\n  listen: 127.0.0.1:" << route_ports[i]
        << "\n  routes: [\n";
      for (int j = 0; j < nodes; ++j) {
        if (j != i) f << "    nats-route://127.0.0.1:" << route_ports[j] << "\n";
      }
      f << "  ]\n}\n";
    }
  }
  for (Node& n : c->nodes_) VIGIL_RETURN_IF_ERROR(c->Launch(n));
  return c;
}

Status NatsCluster::Launch(Node& n) {
  n.pid = Spawn({NatsServerBinary(), "-c", n.config}, n.log);
  for (int i = 0; i < 200; ++i) {
    if (PortOpen(n.port)) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return Status::Unavailable("nats-server " + n.name + " did not start:\n" + ReadFile(n.log));
}

NatsCluster::~NatsCluster() {
  for (Node& n : nodes_) {
    if (n.pid > 0) {
      kill(n.pid, SIGKILL);
      waitpid(n.pid, nullptr, 0);
    }
  }
  if (!dir_.empty() && std::getenv("VIGIL_KEEP_TEST_DIRS") == nullptr) {
    std::filesystem::remove_all(dir_);
  }
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const Node& n : nodes_) {
    if (!out.empty()) out += ',';
    out += "nats://127.0.0.1:" + std::to_string(n.port);
  }
  return out;
}

int NatsCluster::IndexOf(const std::string& server_name) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name == server_name) return static_cast<int>(i);
  }
  return -1;
}

void NatsCluster::Kill(int i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return;
  kill(n.pid, SIGKILL);
  waitpid(n.pid, nullptr, 0);
  n.pid = -1;
}

Status NatsCluster::Restart(int i) { return Launch(nodes_[i]); }

// --- PostgreSQL ------------------------------------------------------------------------------
namespace {
std::string AsPg(const std::string& cmd) {
  return getuid() == 0 ? "runuser -u postgres -- " + cmd : cmd;
}
std::string PgStartCommand(const std::string& dir) {
  return AsPg(PostgresBinDir() + "/pg_ctl -D " + dir + "/data -l " + dir +
              "/server.log -w -t 60 -o \"-k " + dir +
              " -c listen_addresses= -c fsync=off -c synchronous_commit=on -c "
              "full_page_writes=off -c max_connections=50\" start >/dev/null 2>&1");
}
}  // namespace

Result<std::unique_ptr<PgServer>> PgServer::Start() {
  if (PostgresBinDir().empty()) return Status::NotFound("PostgreSQL 15 is not installed");
  std::unique_ptr<PgServer> p(new PgServer());
  p->dir_ = MakeTempDir("vigil-pgworker");
  std::string script = std::string(VIGIL_SOURCE_DIR) + "/scripts/pg-test-server.sh";
  if (Shell(script + " start " + p->dir_ + " >/dev/null 2>" + p->dir_ + ".err") != 0) {
    std::string err = ReadFile(p->dir_ + ".err");
    std::filesystem::remove(p->dir_ + ".err");
    return Status::Unavailable("could not start PostgreSQL: " + err);
  }
  std::filesystem::remove(p->dir_ + ".err");
  p->running_ = true;
  return p;
}

PgServer::~PgServer() {
  std::string script = std::string(VIGIL_SOURCE_DIR) + "/scripts/pg-test-server.sh";
  Shell(script + " stop " + dir_ + " >/dev/null 2>&1");
}

Result<std::string> PgServer::CreateDatabase(const std::string& name) {
  VIGIL_ASSIGN_OR_RETURN(
      auto conn, store::sql::OpenPostgres("host=" + dir_ + " user=postgres dbname=postgres", 10));
  VIGIL_RETURN_IF_ERROR(conn->ExecScript("CREATE DATABASE " + name));
  // The script's server runs with synchronous_commit=off, which acknowledges a COMMIT before
  // its WAL is written: a crash then loses work the workers have already acked. These tests
  // crash the server, so their databases get what production has (on).
  VIGIL_RETURN_IF_ERROR(
      conn->ExecScript("ALTER DATABASE " + name + " SET synchronous_commit = on"));
  return "host=" + dir_ + " user=postgres dbname=" + name;
}

Status PgServer::Stop() {
  if (Shell(AsPg(PostgresBinDir() + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop") +
            " >/dev/null 2>&1") != 0) {
    return Status::Internal("pg_ctl stop failed");
  }
  running_ = false;
  return Status::OK();
}

Status PgServer::Resume() {
  if (Shell(PgStartCommand(dir_)) != 0) {
    return Status::Internal("pg_ctl start failed:\n" + ReadFile(dir_ + "/server.log"));
  }
  running_ = true;
  return Status::OK();
}

// --- processes -------------------------------------------------------------------------------
pid_t SpawnProcess(const std::string& program, const std::vector<std::string>& args,
                   const std::string& log) {
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  return Spawn(argv, log);
}

pid_t SpawnVigil(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv{std::string(VIGIL_BINARY_DIR) + "/vigil"};
  argv.insert(argv.end(), args.begin(), args.end());
  return Spawn(argv, log);
}

int RunVigil(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = SpawnVigil(args, log);
  if (pid < 0) return -1;
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void StopProcess(pid_t pid, int grace_ms) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < grace_ms / 20; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace vigil::worker::testing
