/*
 * Memory that devices read and write (virtqueues, request headers, data
 * buffers): guest-physical RAM after the probe's image, handed out once
 * and never freed (a scenario runs once per boot).
 */
#ifndef PROBE_DMAMEM_H
#define PROBE_DMAMEM_H

#include "types.h"

/*
 * @size bytes aligned to @align (a power of two), identity-mapped
 * write-back RAM below 2 GiB, not zeroed. NULL, after a FAIL line in
 * @step, if the e820 RAM entry after the image cannot hold it.
 */
void *dma_alloc(u64 size, u64 align, const char *step);

#endif
