#include "delivery/directory.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace vigil::delivery {
namespace {

TEST(Directory, ParsesEntriesAndSecretsFromTheEnvironment) {
  ::setenv("VIGIL_TEST_DIRECTORY_SECRET", "env-secret-0123456789", 1);
  auto d = DeliveryDirectory::Parse(R"({"version":1,"platforms":[
      {"id":"videohost","channel":"webhook","url":"https://hooks.videohost.example/vigil",
       "secret_env":"VIGIL_TEST_DIRECTORY_SECRET","removal_markers":["Video unavailable"]},
      {"id":"filehost","channel":"email","email":"abuse@filehost.example"},
      {"id":"bighost","channel":"pull","secret":"inline-secret-0123456789"},
      {"id":"forms"}]})",
                                    "test");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->size(), 4u);
  EXPECT_EQ(d->Find("videohost")->secret, "env-secret-0123456789");
  EXPECT_EQ(d->ChannelFor("videohost"), Channel::kWebhook);
  EXPECT_EQ(d->ChannelFor("filehost"), Channel::kEmail);
  EXPECT_EQ(d->ChannelFor("bighost"), Channel::kPull);
  EXPECT_EQ(d->ChannelFor("forms"), Channel::kManual);
  EXPECT_EQ(d->ChannelFor("unlisted", {"web_form", "api"}), Channel::kPull);
  EXPECT_EQ(d->ChannelFor("unlisted", {"email"}), Channel::kManual);
  EXPECT_EQ(d->RemovalMarkers().at("videohost"), std::vector<std::string>{"Video unavailable"});
}

TEST(Directory, RefusesIncompleteEntries) {
  const char* bad[] = {
      "nope",
      R"({"platforms":{}})",
      R"({"platforms":[{"channel":"webhook"}]})",
      R"({"platforms":[{"id":"a","channel":"webhook","url":"https://x/","secret":"short"}]})",
      R"({"platforms":[{"id":"a","channel":"webhook","url":"ftp://x/","secret":"long-enough-secret-123"}]})",
      R"({"platforms":[{"id":"a","channel":"email"}]})",
      R"({"platforms":[{"id":"a","channel":"pigeon"}]})",
      R"({"platforms":[{"id":"a","channel":"pull","secret_env":"VIGIL_TEST_UNSET_VARIABLE_X"}]})",
      R"({"platforms":[{"id":"a","removal_markers":[""]}]})",
  };
  for (const char* b : bad)
    EXPECT_EQ(DeliveryDirectory::Parse(b, "t").status().code(), StatusCode::kInvalidArgument) << b;
}

}  // namespace
}  // namespace vigil::delivery
