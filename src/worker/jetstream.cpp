#include "worker/jetstream.h"

#include <nats/nats.h>

#include <atomic>
#include <mutex>

namespace vigil::worker {
namespace {

Status FromNats(natsStatus s, int jerr, std::string_view what) {
  std::string msg = std::string(what) + ": " + natsStatus_GetText(s);
  if (jerr != 0) msg += " (JetStream error " + std::to_string(static_cast<int>(jerr)) + ")";
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') msg += ": " + std::string(last);
  switch (s) {
    case NATS_NOT_FOUND: return Status::NotFound(msg);
    case NATS_INVALID_ARG: return Status::InvalidArgument(msg);
    default:
      // Timeouts, lost connections, no responders during a leader election: all transient.
      return Status::Unavailable(msg);
  }
}

// Counts rejected async publishes (libnats calls this from its own thread).
std::atomic<int64_t> g_publish_errors{0};
void OnPublishError(jsCtx*, jsPubAckErr*, void*) { g_publish_errors.fetch_add(1); }

}  // namespace

// --- Message -------------------------------------------------------------------------
Message::Message(natsMsg* m) : m_(m) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, m_) == NATS_OK && meta != nullptr) {
    deliveries_ = meta->NumDelivered;
    stream_seq_ = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
  }
}
Message::~Message() {
  if (m_ != nullptr) natsMsg_Destroy(m_);
}
Message::Message(Message&& o) noexcept
    : m_(o.m_), deliveries_(o.deliveries_), stream_seq_(o.stream_seq_) {
  o.m_ = nullptr;
}
std::string_view Message::subject() const { return natsMsg_GetSubject(m_); }
std::string_view Message::data() const {
  return {natsMsg_GetData(m_), static_cast<size_t>(natsMsg_GetDataLength(m_))};
}
Status Message::Ack() {
  natsStatus s = natsMsg_Ack(m_, nullptr);
  return s == NATS_OK ? Status::OK() : FromNats(s, 0, "ack");
}
Status Message::Nak(std::chrono::milliseconds delay) {
  natsStatus s = natsMsg_NakWithDelay(m_, delay.count(), nullptr);
  return s == NATS_OK ? Status::OK() : FromNats(s, 0, "nak");
}
Status Message::InProgress() {
  natsStatus s = natsMsg_InProgress(m_, nullptr);
  return s == NATS_OK ? Status::OK() : FromNats(s, 0, "in-progress");
}
Status Message::Term() {
  natsStatus s = natsMsg_Term(m_, nullptr);
  return s == NATS_OK ? Status::OK() : FromNats(s, 0, "term");
}

// --- Subscription ----------------------------------------------------------------------
Subscription::~Subscription() {
  // Unsubscribe would delete nothing durable (the consumer is named), only this client's
  // interest; Destroy is enough.
  if (s_ != nullptr) natsSubscription_Destroy(s_);
}

Result<std::vector<Message>> Subscription::Fetch(int batch, std::chrono::milliseconds wait) {
  natsMsgList list{};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, s_, batch, wait.count(), &jerr);
  std::vector<Message> out;
  if (s == NATS_TIMEOUT) return out;  // nothing to do right now
  if (s != NATS_OK) return FromNats(s, jerr, "fetch");
  out.reserve(list.Count);
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // owned by the Message now
  }
  natsMsgList_Destroy(&list);
  return out;
}

Result<std::vector<Message>> Subscription::Drain(size_t max) {
  std::vector<Message> out;
  while (out.size() < max) {
    natsMsg* m = nullptr;
    natsStatus s = natsSubscription_NextMsg(&m, s_, 1);
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) return FromNats(s, 0, "bank notices");
    out.emplace_back(m);
  }
  return out;
}

void ShutdownNats() { nats_CloseAndWait(2000); }

// --- JetStream --------------------------------------------------------------------------
JetStream::~JetStream() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
}

Result<std::unique_ptr<JetStream>> JetStream::Connect(const std::string& urls,
                                                      const std::string& client_name) {
  std::unique_ptr<JetStream> j(new JetStream());
  // SetURL takes one URL; a cluster's nodes go through SetServers.
  std::vector<std::string> list;
  for (size_t b = 0; b <= urls.size();) {
    size_t e = urls.find(',', b);
    if (e == std::string::npos) e = urls.size();
    if (e > b) list.push_back(urls.substr(b, e - b));
    b = e + 1;
  }
  std::vector<const char*> servers;
  for (const auto& u : list) servers.push_back(u.c_str());
  if (servers.empty()) return Status::InvalidArgument("no NATS URL given");
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetName(opts, client_name.c_str());
  // Reconnect forever: a node restart or a failover must never need an operator.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, false, nullptr, nullptr);
  if (s == NATS_OK) s = natsConnection_Connect(&j->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return FromNats(s, 0, "connecting to NATS at " + urls);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = kApiTimeout.count();
  jo.PublishAsync.MaxPending = kMaxPublishPending;
  jo.PublishAsync.ErrHandler = OnPublishError;
  s = natsConnection_JetStream(&j->js_, j->nc_, &jo);
  if (s != NATS_OK) return FromNats(s, 0, "JetStream context");
  return j;
}

namespace {

Status EnsureStream(jsCtx* js, const std::string& name, const std::string& subject,
                    jsRetentionPolicy retention, int64_t max_per_subject, int replicas) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, name.c_str(), nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::OK();
  }
  if (s != NATS_NOT_FOUND) return FromNats(s, jerr, "stream " + name);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  const char* subjects[] = {subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Retention = retention;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  cfg.MaxMsgsPerSubject = max_per_subject;
  cfg.Duplicates = 2LL * 60 * 1000 * 1000 * 1000;  // 2 minutes, in ns
  s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::OK();
  }
  // Another worker created it first: fine, as long as it now exists.
  if (js_GetStreamInfo(&si, js, name.c_str(), nullptr, nullptr) == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::OK();
  }
  return FromNats(s, jerr, "creating stream " + name);
}

}  // namespace

Status JetStream::EnsureWorkQueue(const QueueNames& names, const StreamSetup& setup) {
  VIGIL_RETURN_IF_ERROR(EnsureStream(js_, names.work_stream, names.work_subject(),
                                     js_WorkQueuePolicy, -1, setup.replicas));
  VIGIL_RETURN_IF_ERROR(EnsureStream(js_, names.work_stream + "_DEAD", names.dead_subject(),
                                     js_LimitsPolicy, -1, setup.replicas));
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js_, names.work_stream.c_str(), names.consumer.c_str(),
                                    nullptr, &jerr);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(ci);
    return Status::OK();
  }
  if (s != NATS_NOT_FOUND) return FromNats(s, jerr, "consumer " + names.consumer);
  const std::string filter = names.work_subject();
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = names.consumer.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(setup.ack_wait).count();
  // +1: see kDefaultMaxDeliver.
  cc.MaxDeliver = setup.max_deliver + 1;
  cc.FilterSubject = filter.c_str();
  cc.MaxAckPending = kMaxAckPending;
  s = js_AddConsumer(&ci, js_, names.work_stream.c_str(), &cc, nullptr, &jerr);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(ci);
    return Status::OK();
  }
  if (js_GetConsumerInfo(&ci, js_, names.work_stream.c_str(), names.consumer.c_str(), nullptr,
                         nullptr) == NATS_OK) {
    jsConsumerInfo_Destroy(ci);
    return Status::OK();
  }
  return FromNats(s, jerr, "creating consumer " + names.consumer);
}

Status JetStream::EnsureBankStream(const QueueNames& names, const StreamSetup& setup) {
  return EnsureStream(js_, names.bank_stream, names.bank_stream + ".bank.*", js_LimitsPolicy, 1,
                      setup.replicas);
}

Result<std::unique_ptr<Subscription>> JetStream::PullWork(const QueueNames& names) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = names.work_stream.c_str();
  so.Consumer = names.consumer.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub, js_, names.work_subject().c_str(), names.consumer.c_str(),
                                  nullptr, &so, &jerr);
  if (s != NATS_OK) return FromNats(s, jerr, "binding to consumer " + names.consumer);
  return std::make_unique<Subscription>(sub);
}

Result<std::unique_ptr<Subscription>> JetStream::FollowBanks(const QueueNames& names) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = names.bank_stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverLastPerSubject;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const std::string subject = names.bank_stream + ".bank.*";
  natsStatus s = js_SubscribeSync(&sub, js_, subject.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) return FromNats(s, jerr, "following " + names.bank_stream);
  return std::make_unique<Subscription>(sub);
}

Status JetStream::Publish(const std::string& subject, std::string_view data,
                          const std::string& msg_id,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  natsMsg* m = nullptr;
  natsStatus s =
      natsMsg_Create(&m, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  for (const auto& [k, v] : headers) {
    if (s == NATS_OK) s = natsMsgHeader_Set(m, k.c_str(), v.c_str());
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* pa = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&pa, js_, m, &po, &jerr);
  if (pa != nullptr) jsPubAck_Destroy(pa);
  if (m != nullptr) natsMsg_Destroy(m);
  return s == NATS_OK ? Status::OK() : FromNats(s, jerr, "publishing to " + subject);
}

Status JetStream::PublishAsync(const std::string& subject, std::string_view data,
                               const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  natsStatus s =
      js_PublishAsync(js_, subject.c_str(), data.data(), static_cast<int>(data.size()), &po);
  return s == NATS_OK ? Status::OK() : FromNats(s, 0, "publishing to " + subject);
}

Result<int64_t> JetStream::PublishFlush(std::chrono::milliseconds timeout) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  natsStatus s = js_PublishAsyncComplete(js_, &po);
  if (s != NATS_OK) return FromNats(s, 0, "waiting for publish acks");
  return g_publish_errors.exchange(0);
}

Result<QueueStats> JetStream::Stats(const QueueNames& names) {
  QueueStats st;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, names.work_stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return FromNats(s, jerr, "stream " + names.work_stream);
  st.stream_messages = si->State.Msgs;
  if (si->Cluster != nullptr && si->Cluster->Leader != nullptr) st.leader = si->Cluster->Leader;
  jsStreamInfo_Destroy(si);
  const std::string dead = names.work_stream + "_DEAD";
  if (js_GetStreamInfo(&si, js_, dead.c_str(), nullptr, nullptr) == NATS_OK) {
    st.dead = si->State.Msgs;
    jsStreamInfo_Destroy(si);
  }
  jsConsumerInfo* ci = nullptr;
  s = js_GetConsumerInfo(&ci, js_, names.work_stream.c_str(), names.consumer.c_str(), nullptr,
                         &jerr);
  if (s == NATS_OK) {
    st.pending = ci->NumPending;
    st.ack_pending = ci->NumAckPending;
    st.redelivered = ci->NumRedelivered;
    jsConsumerInfo_Destroy(ci);
  } else if (s != NATS_NOT_FOUND) {
    return FromNats(s, jerr, "consumer " + names.consumer);
  }
  return st;
}

}  // namespace vigil::worker
