// The `vigil` command line: each subcommand lives in its own cmd_*.cpp and registers
// itself here. Commands are thin: they parse flags, call the core library, and turn
// Status into one line on stderr and an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/status.h"

namespace vigil::cli {

// Process exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran but something failed
inline constexpr int kExitUsage = 2;    // bad flags or arguments

// Each adds one subcommand (and its own subcommands) to `app`. When it runs, the
// callback stores the process exit code in *exit_code.
void RegisterHash(CLI::App& app, int* exit_code);
void RegisterIndex(CLI::App& app, int* exit_code);
void RegisterMatch(CLI::App& app, int* exit_code);
void RegisterBank(CLI::App& app, int* exit_code);
void RegisterAudit(CLI::App& app, int* exit_code);
void RegisterVideo(CLI::App& app, int* exit_code);
void RegisterScan(CLI::App& app, int* exit_code);
void RegisterServe(CLI::App& app, int* exit_code);  // serve and token (cmd_serve.cpp)
void RegisterText(CLI::App& app, int* exit_code);
void RegisterAudio(CLI::App& app, int* exit_code);
void RegisterOcr(CLI::App& app, int* exit_code);
void RegisterWorker(CLI::App& app, int* exit_code);  // worker, enqueue, queue
// referral, hold, report, evidence (cmd_referral.cpp)
void RegisterReferral(CLI::App& app, int* exit_code);
// operation, report statements-of-reasons (cmd_operation.cpp; after RegisterReferral)
void RegisterOperation(CLI::App& app, int* exit_code);
// referral reverse, bank reverse (cmd_reversal.cpp): after RegisterReferral and RegisterBank.
void RegisterReversal(CLI::App& app, int* exit_code);

// Prints "vigil: <context>: <status message>" on stderr.
void PrintError(const std::string& context, const Status& status);
// Exit code for a Status that ended a command: usage errors map to 2, the rest to 1.
int ExitCodeFor(const Status& status);

}  // namespace vigil::cli
