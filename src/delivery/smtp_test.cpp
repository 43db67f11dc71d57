#include "delivery/smtp.h"

#include <gtest/gtest.h>

#include "delivery/test_servers.h"

namespace vigil::delivery {
namespace {

std::string SinkDir(const char* name) {
  return std::string(VIGIL_BINARY_DIR) + "/smtp-sink-" + name;
}

SmtpMessage Message(std::string to) {
  SmtpMessage m;
  m.from = "referrals@unit.example";
  m.from_name = "Test Unit";
  m.to = {std::move(to)};
  m.subject = "Referral 7 — synthetic";
  m.body = "line one\n.leading dot\n" + std::string(200, 'x') + "\nÜmlaut = equals\n";
  m.message_id = "<vigil-referral-7@vigil.test>";
  m.headers = {{"X-Vigil-Referral", "7"}};
  m.date_ms = 1'767'225'600'000;
  return m;
}

TEST(Smtp, ParsesReplies) {
  auto r = ParseSmtpReply("250-mail.example\r\n250-8BITMIME\r\n250 SIZE 100\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 250);
  EXPECT_EQ(r->lines, (std::vector<std::string>{"mail.example", "8BITMIME", "SIZE 100"}));
  EXPECT_EQ(ParseSmtpReply("354\r\n")->code, 354);
  for (const char* bad : {"", "25\r\n", "abc ok\r\n", "250-a\r\n", "250 a", "250-a\r\n251 b\r\n",
                          "250 a\r\nextra\r\n", "999 x\r\n", "250xok\r\n"}) {
    EXPECT_FALSE(ParseSmtpReply(bad).ok()) << bad;
  }
}

TEST(Smtp, QuotedPrintable) {
  EXPECT_EQ(QuotedPrintable("a=b\n"), "a=3Db\r\n");
  // Found by the fuzz smoke run: a '.' that a soft line break pushes to the start of a
  // line must be encoded as well.
  const std::string dots = std::string(75, 'x') + ".";
  EXPECT_EQ(QuotedPrintable(dots), std::string(75, 'x') + "=\r\n=2E");
  EXPECT_EQ(QuotedPrintable("trailing \n"), "trailing=20\r\n");
  EXPECT_EQ(QuotedPrintable(".dot"), "=2Edot");
  EXPECT_EQ(QuotedPrintable("\xc3\x9c"), "=C3=9C");
  std::string longline = QuotedPrintable(std::string(200, 'y'));
  size_t start = 0;
  while (start < longline.size()) {
    size_t end = longline.find("\r\n", start);
    if (end == std::string::npos) end = longline.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
}

TEST(Smtp, RefusesHeaderInjection) {
  SmtpMessage m = Message("abuse@platform.example");
  m.subject = "hi\r\nBcc: victim@example.org";
  EXPECT_EQ(BuildMimeMessage(m).status().code(), StatusCode::kInvalidArgument);
  m = Message("abuse@platform.example>\r\nRCPT TO:<x@y");
  EXPECT_EQ(BuildMimeMessage(m).status().code(), StatusCode::kInvalidArgument);
  m = Message("no-at-sign");
  EXPECT_EQ(BuildMimeMessage(m).status().code(), StatusCode::kInvalidArgument);
  m = Message("a@b");
  m.headers = {{"X-Bad: y", "z"}};
  EXPECT_EQ(BuildMimeMessage(m).status().code(), StatusCode::kInvalidArgument);
}

TEST(Smtp, SendsToTheLoopbackSink) {
  auto sink = testing::SmtpSink::Start(SinkDir("send"));
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  SmtpOptions o;
  o.port = static_cast<uint16_t>((*sink)->port());
  o.timeout = std::chrono::milliseconds(10'000);
  SmtpClient client(o);
  auto r = client.Send(Message("abuse@platform.example"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, 250);
  EXPECT_NE(r->reply.find("queued as sink-1"), std::string::npos);
  auto msgs = (*sink)->Messages(1);
  ASSERT_EQ(msgs.size(), 1u);
  const std::string& m = msgs[0];
  EXPECT_NE(m.find("X-Envelope-From: referrals@unit.example"), std::string::npos);
  EXPECT_NE(m.find("X-Envelope-To: abuse@platform.example"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <vigil-referral-7@vigil.test>"), std::string::npos);
  EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(m.find("X-Vigil-Referral: 7"), std::string::npos);
  EXPECT_NE(m.find("=2Eleading dot"), std::string::npos);
  EXPECT_NE(m.find("=C3=9Cmlaut =3D equals"), std::string::npos);
}

TEST(Smtp, RecipientRefusalsMapToStatus) {
  auto sink = testing::SmtpSink::Start(SinkDir("refuse"));
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  SmtpOptions o;
  o.port = static_cast<uint16_t>((*sink)->port());
  SmtpClient client(o);
  EXPECT_EQ(client.Send(Message("reject@platform.example")).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.Send(Message("tempfail@platform.example")).status().code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE((*sink)->Messages().empty());
}

TEST(Smtp, NoServerIsUnavailable) {
  SmtpOptions o;
  o.port = 1;  // nothing listens on tcpmux
  o.timeout = std::chrono::milliseconds(2000);
  EXPECT_EQ(SmtpClient(o).Send(Message("a@b.example")).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace vigil::delivery
