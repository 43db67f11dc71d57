// Test support: fresh databases for the shared store suite. SQLite databases are files in
// a temporary directory; PostgreSQL databases live on one throwaway server per test binary,
// started on first use by scripts/pg-test-server.sh and stopped at exit. If the server
// cannot start, the test that asked for it fails with the server's log (never skips).
// Thread safety: call from the test's main thread.
#pragma once

#include <string>

#include "store/store.h"

namespace vigil::store::testing {

// A --db value naming a new, empty database of the given backend; failures are
// reported as gtest fatal failures (the returned string is then empty).
std::string NewDatabase(Backend backend);

// "sqlite" / "postgres", for test names.
std::string BackendName(Backend backend);

}  // namespace vigil::store::testing
