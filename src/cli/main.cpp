// vigil: find, match, review and refer terrorist content by its hashes.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/version.h"

namespace vigil::cli {

void PrintError(const std::string& context, const Status& status) {
  std::fprintf(stderr, "vigil: %s: %s\n", context.c_str(), status.message().c_str());
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace vigil::cli

int main(int argc, char** argv) {
  using namespace vigil::cli;
  CLI::App app{
      "vigil: hash, match, review and refer terrorist content against shared hash lists.\n"
      "Run `vigil COMMAND --help` for the flags of one command."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersionString));
  int exit_code = kExitOk;

  auto* version = app.add_subcommand("version", "Print vigil's version and build details");
  version->callback([] { std::cout << VersionText(); });

  RegisterHash(app, &exit_code);
  RegisterIndex(app, &exit_code);
  RegisterMatch(app, &exit_code);
  RegisterBank(app, &exit_code);
  RegisterAudit(app, &exit_code);
  RegisterVideo(app, &exit_code);
  RegisterScan(app, &exit_code);
  RegisterServe(app, &exit_code);
  RegisterText(app, &exit_code);
  RegisterAudio(app, &exit_code);
  RegisterOcr(app, &exit_code);
  RegisterWorker(app, &exit_code);
  RegisterReferral(app, &exit_code);
  RegisterOperation(app, &exit_code);  // adds to `report`: after RegisterReferral
  RegisterReversal(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}
