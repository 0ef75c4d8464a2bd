// The CLI prints its tables with the reports' Table (src/reports/table.h).
#pragma once

#include "reports/table.h"

namespace sk::cli {
using reports::Table;
}  // namespace sk::cli
