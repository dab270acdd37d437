/*
 * Recording SDK metrics (see include/temporal/metrics.h).  Internal.  Every function
 * accepts a NULL registry and then does nothing, so call sites need no checks.
 * |labels| is a NULL-terminated list of key, value pairs; values may be NULL ("none").
 */
#ifndef TEMPORAL_METRICS_INT_H
#define TEMPORAL_METRICS_INT_H

#include "temporal/metrics.h"

/** Adds |delta| to counter |name|. */
void temporal__metric_add(struct temporal_metrics *m, const char *name, int64_t delta,
                          const char *const *labels);

/** Records |ms| milliseconds into histogram |name|. */
void temporal__metric_record_ms(struct temporal_metrics *m, const char *name, double ms,
                                const char *const *labels);

/** Sets gauge |name| to |value|. */
void temporal__metric_set(struct temporal_metrics *m, const char *name, int64_t value,
                          const char *const *labels);

#endif /* TEMPORAL_METRICS_INT_H */
