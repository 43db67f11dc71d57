// Internal: the Store implementation shared by both backends, written against sql.h.
// Exposed only so tests can reach the raw connection (to tamper with the audit log or fake
// a newer schema) and so OpenStore can build it.
// Thread safety: as Store (one thread at a time).
#pragma once

#include <memory>

#include "store/sql.h"
#include "store/store.h"

namespace vigil::store {

Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<sql::Connection> conn,
                                            const StoreOptions& options);

// The connection under a Store made by OpenStore/OpenSqlStore, for tests; nullptr for
// any other Store.
sql::Connection* RawConnectionForTesting(Store& store);

}  // namespace vigil::store
