/* Scenario selection ("probe.test=<name>" on the command line). */
#ifndef PROBE_SCENARIOS_H
#define PROBE_SCENARIOS_H

#include "types.h"

/* Run the scenario the command line names; never returns. */
__noreturn void scenario_run(void);

#endif
