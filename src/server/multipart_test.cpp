#include "server/multipart.h"

#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/auth.h"
#include "server/router.h"

namespace vigil::server {
namespace {

TEST(Multipart, ParsesPartsAndPicksTheFile) {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--not-the-boundary\r\n\r\n"
      "--XyZ--\r\n";
  auto parts = ParseMultipart(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "note");
  EXPECT_EQ((*parts)[0].body, "hello");
  EXPECT_EQ((*parts)[1].filename, "a.jpg");
  EXPECT_EQ((*parts)[1].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[1].body, "\xff\xd8\r\n--not-the-boundary\r\n");
  auto media = MultipartMedia(body, "multipart/form-data; boundary=\"XyZ\"");
  ASSERT_TRUE(media.ok());
  EXPECT_EQ(*media, (*parts)[1].body);
}

TEST(Multipart, RejectsMalformed) {
  EXPECT_FALSE(MultipartBoundary("application/json").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a')).ok());
  EXPECT_FALSE(ParseMultipart("", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nno end", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\n\r\nbody without closing", "b").ok());
  EXPECT_FALSE(ParseMultipart("--bX", "b").ok());
  // No file part at all.
  std::string body = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--";
  EXPECT_FALSE(MultipartMedia(body, "multipart/form-data; boundary=b").ok());
  // Too many parts.
  std::string many;
  for (int i = 0; i < 65; ++i) many += "--b\r\n\r\nx\r\n";
  many += "--b--";
  EXPECT_FALSE(ParseMultipart(many, "b").ok());
}

TEST(ApiError, OneShapeAndStableMapping) {
  EXPECT_EQ(ErrorJson("not_found", "bank 'x' not found"),
            R"({"error":{"code":"not_found","message":"bank 'x' not found"}})");
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 413);
  auto e = ErrorFromStatus(Status::Internal("SELECT * FROM secret_table failed"));
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.code, "internal");
  EXPECT_EQ(e.message, "internal error");  // internals stay in the log
}

TEST(Auth, BearerAndRoles) {
  EXPECT_EQ(*BearerSecret("Bearer abc"), "abc");
  EXPECT_EQ(*BearerSecret("bearer  abc "), "abc");
  EXPECT_FALSE(BearerSecret("Basic abc").ok());
  EXPECT_FALSE(BearerSecret("Bearer ").ok());
  EXPECT_FALSE(BearerSecret("").ok());
  for (Role r : kAllRoles) {
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
    EXPECT_TRUE(RoleAllows(r, Permission::kSelf));
  }
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_FALSE(RoleAllows(Role::kPlatform, Permission::kBankRead));
  EXPECT_FALSE(RoleAllows(Role::kReviewer, Permission::kReviewEscalated));
  EXPECT_TRUE(RoleAllows(Role::kSupervisor, Permission::kReviewEscalated));
  EXPECT_FALSE(RoleAllows(Role::kAuditor, Permission::kHash));
}

TEST(Auth, RateLimiterRefills) {
  RateLimiter limiter(1000, 3);
  EXPECT_TRUE(limiter.Allow("k"));
  EXPECT_TRUE(limiter.Allow("k"));
  EXPECT_TRUE(limiter.Allow("k"));
  EXPECT_FALSE(limiter.Allow("k"));
  EXPECT_TRUE(limiter.Allow("other"));
  RateLimiter off(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.Allow("k"));
}

TEST(Router, MatchesPlaceholdersAndTellsMethodFromPath) {
  Router r;
  r.Add(Route{"GET", "/api/v1/banks/{name}", false, Permission::kBankRead, {}});
  r.Add(Route{"GET", "/api/v1/banks/{name}/signals", false, Permission::kBankRead, {}});
  auto f = r.Match("GET", "/api/v1/banks/x.y");
  ASSERT_NE(f.route, nullptr);
  EXPECT_EQ(f.params.at("name"), "x.y");
  f = r.Match("DELETE", "/api/v1/banks/x");
  EXPECT_EQ(f.route, nullptr);
  EXPECT_TRUE(f.path_known);
  f = r.Match("GET", "/api/v1/nope");
  EXPECT_FALSE(f.path_known);
}

}  // namespace
}  // namespace vigil::server
