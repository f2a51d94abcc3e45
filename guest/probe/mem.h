/* The "mem" scenario's body: report and probe the e820 map. */
#ifndef PROBE_MEM_H
#define PROBE_MEM_H

/*
 * Print each start_info memmap entry, touch the first and last 4 KiB page
 * of every RAM entry, and print PASS or FAIL for step "mem".
 */
void mem_check(void);

#endif
