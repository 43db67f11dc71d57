// `vigil serve`: the REST API (src/server), and `vigil token create`: mint an API token
// from the command line (the bootstrap path for a new organisation or a lost admin token).
#include <pthread.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/serve_nats.h"
#include "delivery/smtp.h"
#include "server/auth.h"
#include "server/console_files.h"
#include "server/http_server.h"
#include "server/service.h"
#include "store/evidence.h"
#include "store/store.h"
#include "workflow/maintenance.h"

namespace vigil::cli {
namespace {

constexpr const char* kCliActor = "cli:serve";
// A century: longer is surely a typo (and would overflow the millisecond arithmetic).
constexpr int64_t kMaxEvidenceRetentionDays = 36'500;
// A week: a longer pause between maintenance rounds would leave TCO orders unflagged.
constexpr int64_t kMaxMaintenanceIntervalS = 7 * 24 * 60 * 60;

// Finds or creates organisation `org`, user `user` in it with `role`, and a new token for
// that user. Returns the secret (shown once: only its SHA-256 is stored).
Result<std::string> MintToken(store::Store& st, const std::string& org_name,
                              const std::string& user_name, const std::string& role,
                              const std::string& token_name) {
  VIGIL_RETURN_IF_ERROR(server::ParseRole(role).status());
  auto org = st.FindOrganisation(org_name);
  if (!org.ok()) {
    if (org.status().code() != StatusCode::kNotFound) return org.status();
    org = st.CreateOrganisation(kCliActor, org_name, "");
    VIGIL_RETURN_IF_ERROR(org.status());
  }
  auto user = st.FindUser(user_name);
  if (!user.ok()) {
    if (user.status().code() != StatusCode::kNotFound) return user.status();
    store::User u;
    u.org_id = org->id;
    u.name = user_name;
    u.role = role;
    user = st.CreateUser(kCliActor, u);
    VIGIL_RETURN_IF_ERROR(user.status());
  } else if (user->org_id != org->id || user->role != role) {
    return Status::AlreadyExists("user '" + user_name +
                                 "' exists with another organisation or role (" + user->role +
                                 "); choose another --user");
  }
  VIGIL_ASSIGN_OR_RETURN(store::NewApiToken t,
                         st.CreateApiToken(kCliActor, user->id, token_name, 0));
  return t.secret;
}

struct ServeFlags {
  std::string db;
  std::string listen = server::kDefaultListen;
  std::string tls_cert, tls_key, static_dir;
  std::string bootstrap_org = "default";
  unsigned threads = 0;
  double rate_limit = server::kDefaultRateLimitPerSecond;
  double rate_burst = server::kDefaultRateLimitBurst;
  size_t max_body_bytes = server::kDefaultMaxBodyBytes;
  size_t max_header_bytes = server::kDefaultMaxHeaderBytes;
  double request_timeout_s = 30;
  double idle_timeout_s = 60;
  size_t max_connections = server::kDefaultMaxConnections;
  // Referrals (docs/referrals.md): where notices go and where evidence is kept.
  std::string delivery_directory, smtp_relay, platforms_file, evidence_dir;
  int64_t evidence_retention_days = store::kDefaultEvidenceRetentionMs / (24 * 60 * 60 * 1000);
  NatsQueueFlags nats;  // scale-out (docs/operations.md)
  // Scheduled referral work (workflow/maintenance.h); 0 disables the loop.
  double maintenance_interval_s =
      static_cast<double>(workflow::kDefaultMaintenanceIntervalMs) / 1000;
  bool fetch_allow_loopback = false;
};

// "host:port" or "host" (port 25) for the SMTP relay.
Status ParseSmtpRelay(const std::string& v, delivery::SmtpOptions* out) {
  const size_t colon = v.rfind(':');
  out->host = colon == std::string::npos ? v : v.substr(0, colon);
  if (out->host.empty()) return Status::InvalidArgument("--smtp-relay: empty host in '" + v + "'");
  if (colon == std::string::npos) return Status::OK();
  const std::string port = v.substr(colon + 1);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
    return Status::InvalidArgument("--smtp-relay: bad port in '" + v + "'");
  }
  out->port = static_cast<uint16_t>(p);
  return Status::OK();
}

Status RunServe(const ServeFlags& f) {
  server::HttpServerOptions http;
  VIGIL_RETURN_IF_ERROR(server::ParseListen(f.listen, &http));
  http.threads = f.threads;
  http.tls_cert_file = f.tls_cert;
  http.tls_key_file = f.tls_key;
  http.max_body_bytes = f.max_body_bytes;
  http.max_header_bytes = f.max_header_bytes;
  http.request_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(f.request_timeout_s * 1000));
  http.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.idle_timeout_s * 1000));
  http.max_connections = f.max_connections;

  // Flags are checked before the store is opened (or created).
  server::ServiceOptions so;
  so.referrals.directory_file = f.delivery_directory;
  if (!f.smtp_relay.empty()) {
    delivery::SmtpOptions smtp;
    VIGIL_RETURN_IF_ERROR(ParseSmtpRelay(f.smtp_relay, &smtp));
    so.referrals.smtp = smtp;
  }
  if (!f.platforms_file.empty()) so.referrals.registry_file = f.platforms_file;
  if (f.evidence_retention_days < 1 || f.evidence_retention_days > kMaxEvidenceRetentionDays) {
    return Status::InvalidArgument("--evidence-retention-days must be 1 to " +
                                   std::to_string(kMaxEvidenceRetentionDays));
  }
  so.referrals.evidence.dir = f.evidence_dir;
  so.referrals.evidence.retention_ms = f.evidence_retention_days * 24 * 60 * 60 * 1000;
  if (!(f.maintenance_interval_s >= 0) || f.maintenance_interval_s > kMaxMaintenanceIntervalS) {
    return Status::InvalidArgument("--maintenance-interval must be 0 to " +
                                   std::to_string(kMaxMaintenanceIntervalS) + " seconds");
  }
  so.referrals.maintenance_interval_ms = static_cast<int64_t>(f.maintenance_interval_s * 1000);
  so.referrals.fetch_allow_loopback = f.fetch_allow_loopback;
  if (!f.nats.urls.empty()) {
    VIGIL_ASSIGN_OR_RETURN(so.work_queue, ConnectWorkQueue(f.nats, "vigil serve"));
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> st, store::OpenStore(f.db));
  // An empty store gets its first organisation and admin, whose token is printed once.
  VIGIL_ASSIGN_OR_RETURN(auto orgs, st->ListOrganisations());
  if (orgs.empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::string secret,
                           MintToken(*st, f.bootstrap_org, "admin", "admin", "bootstrap"));
    std::cout << "vigil: serve: new store: created organisation '" << f.bootstrap_org
              << "' and user 'admin'.\nAdmin API token (shown once, store it now):\n"
              << secret << "\n"
              << std::flush;
  }
  so.rate_limit_per_second = f.rate_limit;
  so.rate_limit_burst = f.rate_burst;
  so.static_dir = f.static_dir == "none" ? ""
                  : f.static_dir.empty() ? server::DefaultConsoleDir()
                                         : f.static_dir;
  VIGIL_ASSIGN_OR_RETURN(auto service, server::Service::Create(std::move(st), so));

  // Signals are taken by sigwait on this thread, not by the server's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::HttpServer srv(*service, http);
  VIGIL_RETURN_IF_ERROR(srv.Start());
  std::cout << "vigil: serve: listening on " << (http.tls_cert_file.empty() ? "http" : "https")
            << "://"
            << (http.address.find(':') != std::string::npos ? "[" + http.address + "]"
                                                            : http.address)
            << ":" << srv.port() << " (API under /api/v1; console "
            << (so.static_dir.empty() ? "not built" : "from " + so.static_dir)
            << "; Ctrl-C stops)\n"
            << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "vigil: serve: stopping (signal " << sig << ")\n";
  srv.Stop();
  return Status::OK();
}

}  // namespace

void RegisterServe(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the REST API (/api/v1), the console's static files (/), /metrics, /healthz and "
      "/readyz.\nOn an empty store, creates organisation 'default' with user 'admin' and "
      "prints an admin API token once. See docs/server.md and docs/openapi.yaml.");
  cmd->add_option("--db", f->db, "Store: a SQLite file or a postgres:// URI")->required();
  cmd->add_option("--listen", f->listen, "Address and port to listen on (host:port, [v6]:port)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", f->tls_cert, "PEM certificate chain; with --tls-key serves HTTPS");
  cmd->add_option("--tls-key", f->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--console,--static", f->static_dir,
                  "Directory of the built web console served at / (default: console/dist of "
                  "this build's checkout, or $VIGIL_CONSOLE_DIR, when built; 'none': a "
                  "placeholder page)");
  cmd->add_option("--bootstrap-org", f->bootstrap_org,
                  "Name of the first organisation created on an empty store")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "Server threads (0 = one per core)")
      ->capture_default_str();
  cmd->add_option("--rate-limit", f->rate_limit, "Requests per second per token (0 = unlimited)")
      ->capture_default_str();
  cmd->add_option("--rate-burst", f->rate_burst, "Burst allowance per token")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", f->max_body_bytes, "Largest request body")
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", f->max_header_bytes, "Largest request header block")
      ->capture_default_str();
  cmd->add_option("--request-timeout", f->request_timeout_s,
                  "Seconds a request's header, then its body, may take to arrive")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", f->idle_timeout_s,
                  "Seconds an idle keep-alive connection stays open")
      ->capture_default_str();
  cmd->add_option("--delivery-directory", f->delivery_directory,
                  "Delivery directory file: each platform's webhook, e-mail or pull route "
                  "(docs/referrals.md); without it every platform is pull or manual");
  cmd->add_option("--smtp-relay", f->smtp_relay,
                  "SMTP relay for e-mail referrals, host[:port] (default port 25)");
  cmd->add_option("--platforms", f->platforms_file,
                  "Platform registry file (default: the shipped data/platforms.json)");
  cmd->add_option("--evidence-dir", f->evidence_dir,
                  "Folder for preserved evidence at referral time (empty: none preserved)");
  cmd->add_option("--evidence-retention-days", f->evidence_retention_days,
                  "How long preserved evidence is kept")
      ->capture_default_str();
  cmd->add_option("--max-connections", f->max_connections, "Open connections at most")
      ->capture_default_str();
  cmd->add_option("--nats", f->nats.urls,
                  "Scale out (docs/operations.md): NATS JetStream URL(s); POST /api/v1/work "
                  "queues uploads for `vigil worker`, bank changes are published to the "
                  "workers, /metrics and GET /api/v1/queue show the queue");
  cmd->add_option("--stream", f->nats.work_stream, "With --nats: work-queue stream")
      ->capture_default_str();
  cmd->add_option("--banks-stream", f->nats.bank_stream, "With --nats: bank notice stream")
      ->capture_default_str();
  cmd->add_option("--replicas", f->nats.replicas, "With --nats: replicas when creating the streams")
      ->capture_default_str()
      ->check(CLI::Range(1, 5));
  cmd->add_option("--maintenance-interval", f->maintenance_interval_s,
                  "Seconds between referral maintenance rounds: overdue TCO orders, re-checks "
                  "of referred URLs, evidence expiry (0: no background rounds)")
      ->capture_default_str();
  cmd->add_flag("--fetch-allow-loopback", f->fetch_allow_loopback,
                "Let re-checks and remote evidence fetches read loopback addresses (tests and "
                "demos only; private addresses stay refused)");
  cmd->callback([f, exit_code] {
    Status st = RunServe(*f);
    if (!f->nats.urls.empty()) CloseNats();
    if (!st.ok()) {
      PrintError("serve", st);
      *exit_code = ExitCodeFor(st);
    }
  });

  auto* token = app.add_subcommand("token", "Manage API tokens from the command line");
  token->require_subcommand(1);
  struct TokenFlags {
    std::string db, org, user, role, name = "cli";
  };
  auto t = std::make_shared<TokenFlags>();
  auto* create = token->add_subcommand(
      "create",
      "Create an API token (creating the organisation and user if needed) and print it once "
      "on stdout. Only its SHA-256 is stored.");
  create->add_option("--db", t->db, "Store: a SQLite file or a postgres:// URI")->required();
  create->add_option("--org", t->org, "Organisation name")->required();
  create
      ->add_option("--role", t->role,
                   "Role: admin, analyst, reviewer, supervisor, platform or auditor")
      ->required();
  create->add_option("--user", t->user, "User name (default: <role>@<org>)");
  create->add_option("--name", t->name, "A label for the token")->capture_default_str();
  create->callback([t, exit_code] {
    auto run = [&]() -> Result<std::string> {
      VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> st, store::OpenStore(t->db));
      std::string user = t->user.empty() ? t->role + "@" + t->org : t->user;
      return MintToken(*st, t->org, user, t->role, t->name);
    };
    auto secret = run();
    if (!secret.ok()) {
      PrintError("token create", secret.status());
      *exit_code = ExitCodeFor(secret.status());
      return;
    }
    std::cout << *secret << "\n";
  });
}

}  // namespace vigil::cli
