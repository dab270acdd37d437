/*
 * coro: stackful coroutines for workflow code.  Internal.
 *
 * Each coroutine runs on its own mmap'd stack (default 256 KiB reserved, touched pages only
 * count as memory) with a PROT_NONE guard page below it, so an overflow faults instead of
 * corrupting memory.  Switching is a few instructions of assembly (x86_64 and aarch64; no
 * system call, unlike swapcontext), annotated for AddressSanitizer and valgrind.
 *
 * Model: a resumer (a normal thread stack) calls temporal__coro_resume(c); the coroutine runs
 * until it calls temporal__coro_yield() or its function returns; resume then returns.  A
 * coroutine belongs to the thread that resumes it; coroutines do not resume each other.
 * Freed stacks are kept in a small process-wide pool for reuse.
 */
#ifndef TEMPORAL_CORO_H
#define TEMPORAL_CORO_H

#include <stdbool.h>
#include <stddef.h>

#define TEMPORAL__CORO_DEFAULT_STACK (256 * 1024)

struct temporal__coro;
typedef void (*temporal__coro_fn)(void *arg);

/**
 * Creates a suspended coroutine that will run |fn|(|arg|) on a stack of |stack_size| bytes
 * (0 = default).  Returns 0, or TEMPORAL_ENOMEM.
 */
int temporal__coro_new(struct temporal__coro **out, temporal__coro_fn fn, void *arg,
                       size_t stack_size);

/** Runs |c| until it yields or returns.  |c| must not be done or running. */
void temporal__coro_resume(struct temporal__coro *c);

/** Suspends the calling coroutine; its resume call returns.  Only inside a coroutine. */
void temporal__coro_yield(void);

/** The coroutine running on this thread, or NULL on a normal stack. */
struct temporal__coro *temporal__coro_current(void);

/** True once the coroutine's function has returned. */
bool temporal__coro_done(const struct temporal__coro *c);

/**
 * Frees |c| and returns its stack to the pool.  A coroutine that has not finished is
 * discarded where it stands (nothing on its stack is unwound): callers make it return
 * first.  NULL is a no-op.
 */
void temporal__coro_free(struct temporal__coro *c);

#endif /* TEMPORAL_CORO_H */
