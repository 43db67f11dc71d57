// `vigil bank`: placeholder until its component lands.
#include "cli/commands.h"

namespace vigil::cli {

void RegisterBank(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("bank", "(not built yet)");
  cmd->group("");  // hidden from --help until implemented
  cmd->callback([exit_code] {
    PrintError("bank", Status::Unsupported("this command is not built yet"));
    *exit_code = kExitFailure;
  });
}

}  // namespace vigil::cli
