// PostgreSQL implementation of the Store and the SyncQueue (libpqxx), the
// scale-out engine: several workers and web servers share one database.
// Chosen with SEATKEEPER_DB=postgresql://...; SQLite stays the default.
// Its openers (OpenPostgres, OpenPostgresQueue) and the factory choosing
// between the engines are declared in store/open.h.
#pragma once

#include "store/open.h"
