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

// For components that keep their own tables in the store's database (the referral
// repository, store/referral_store.h) and must commit a change with its audit entry:
// BeginWriteTransaction starts a write transaction on the store's connection (the caller
// ends it with COMMIT or ROLLBACK through RawConnectionForTesting's connection), and
// AppendAuditInTransaction chains an entry inside it. FailedPrecondition for a Store not
// made here. Do not call the Store's own methods that change state while it is open.
Status BeginWriteTransaction(Store& store);
Result<AuditEntry> AppendAuditInTransaction(Store& store, std::string_view actor,
                                            std::string_view action, std::string_view target,
                                            std::string_view before, std::string_view after,
                                            std::string_view details);

}  // namespace vigil::store
