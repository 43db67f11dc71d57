// GET /api/v1/platforms: the platform registry (data/platforms.json, or $VIGIL_PLATFORMS)
// for the console's registry page and for clients that attribute links themselves. Public
// facts about hosting services, so every signed-in role may read it (permission "self").
//
// Thread safety: AddPlatformRoutes is called while the route table is built (one thread);
// the handler it registers reads an immutable registry from any number of threads.
#pragma once

#include "server/router.h"

namespace vigil::server {

// Loads the default registry once and registers the route on `router`. If the registry
// cannot be loaded, the route answers 503 unavailable with the reason (the server still
// starts: everything else works without it).
void AddPlatformRoutes(Router& router);

}  // namespace vigil::server
