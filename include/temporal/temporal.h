/*
 * temporal-c: umbrella header.  Include this, or the individual headers.
 */
#ifndef TEMPORAL_TEMPORAL_H
#define TEMPORAL_TEMPORAL_H

#include "common.h"
#include "version.h"
#include "error.h"
#include "metrics.h"
#include "tracing.h"
#include "payload.h"
#include "client.h"
#include "envconfig.h"
#include "activity.h"
#include "workflow.h"
#include "worker.h"
#include "otel.h"

#endif /* TEMPORAL_TEMPORAL_H */
