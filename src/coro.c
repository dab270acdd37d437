/*
 * coro: stackful coroutines.  See coro.h; the switch itself is in coro_switch_<arch>.S.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, MAP_STACK */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro.h"
#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#else
#define CORO_ASAN 0
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORO_VALGRIND 1
#endif
#endif
#ifndef CORO_VALGRIND
#define CORO_VALGRIND 0
#endif

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "temporal-c coroutines support x86_64 and aarch64"
#endif

void temporal__coro_switch(void **save_sp, void *load_sp);
void temporal__coro_trampoline(void);

struct temporal__coro {
    void *sp;        /* the coroutine's stack pointer while it is suspended */
    void *caller_sp; /* the resumer's stack pointer while the coroutine runs */
    temporal__coro_fn fn;
    void *arg;
    bool done;
    bool running;
    struct temporal__coro *previous; /* the thread's current coroutine before resume */
    /* Stack: |map| (|map_size| bytes) = guard page + usable stack. */
    void *map;
    size_t map_size;
    void *stack_lo;
    size_t stack_size;
#if CORO_VALGRIND
    unsigned valgrind_stack_id;
#endif
#if CORO_ASAN
    void *fake_stack;        /* the coroutine's, while the resumer runs */
    void *caller_fake_stack; /* the resumer's, while the coroutine runs */
    const void *caller_stack_lo;
    size_t caller_stack_size;
#endif
};

static _Thread_local struct temporal__coro *current;

/* Stack pool ----------------------------------------------------------------------------------- */

#define POOL_MAX 64

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    void *map;
    size_t size;
} pool[POOL_MAX];
static int pool_count;

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static void *stack_get(size_t map_size)
{
    pthread_mutex_lock(&pool_mu);
    for (int i = pool_count - 1; i >= 0; i--) {
        if (pool[i].size == map_size) {
            void *m = pool[i].map;
            pool[i] = pool[--pool_count];
            pthread_mutex_unlock(&pool_mu);
            return m;
        }
    }
    pthread_mutex_unlock(&pool_mu);
    void *m = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (mprotect(m, page_size(), PROT_NONE) != 0) { /* the guard page */
        munmap(m, map_size);
        return NULL;
    }
    return m;
}

static void stack_put(void *map, size_t map_size)
{
    pthread_mutex_lock(&pool_mu);
    if (pool_count < POOL_MAX) {
        pool[pool_count].map = map;
        pool[pool_count].size = map_size;
        pool_count++;
        map = NULL;
    }
    pthread_mutex_unlock(&pool_mu);
    if (map != NULL)
        munmap(map, map_size);
}

/* Switching ------------------------------------------------------------------------------------ */

/* The first code a coroutine runs; never returns (the final switch does not come back). */
static void coro_entry(struct temporal__coro *c)
{
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &c->caller_stack_lo, &c->caller_stack_size);
#endif
    c->fn(c->arg);
    c->done = true;
#if CORO_ASAN
    /* NULL: this fiber's fake stack can be freed, it never runs again. */
    __sanitizer_start_switch_fiber(NULL, c->caller_stack_lo, c->caller_stack_size);
#endif
    temporal__coro_switch(&c->sp, c->caller_sp);
    abort(); /* unreachable */
}

int temporal__coro_new(struct temporal__coro **out, temporal__coro_fn fn, void *arg,
                       size_t stack_size)
{
    size_t page = page_size();
    if (stack_size == 0)
        stack_size = TEMPORAL__CORO_DEFAULT_STACK;
    stack_size = (stack_size + page - 1) / page * page;
    struct temporal__coro *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return TEMPORAL_ENOMEM;
    c->map_size = stack_size + page;
    c->map = stack_get(c->map_size);
    if (c->map == NULL) {
        free(c);
        return TEMPORAL_ENOMEM;
    }
    c->stack_lo = (char *)c->map + page;
    c->stack_size = stack_size;
    c->fn = fn;
    c->arg = arg;
#if CORO_VALGRIND
    c->valgrind_stack_id = VALGRIND_STACK_REGISTER(c->stack_lo, (char *)c->stack_lo + stack_size);
#endif

    /* The frame temporal__coro_switch pops on first resume: registers, then the trampoline
     * as return address.  After that return the stack pointer is 16-byte aligned. */
    uintptr_t top = ((uintptr_t)c->stack_lo + stack_size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    uint64_t *sp = (uint64_t *)(top - 64);
    memset(sp, 0, 64);
    uint32_t mxcsr = 0x1F80;  /* all exceptions masked, round to nearest */
    uint16_t fpucw = 0x037F;  /* x87 default */
    memcpy((char *)sp, &mxcsr, sizeof(mxcsr));
    memcpy((char *)sp + 4, &fpucw, sizeof(fpucw));
    sp[3] = (uint64_t)(uintptr_t)coro_entry; /* r13 */
    sp[4] = (uint64_t)(uintptr_t)c;          /* r12 */
    sp[7] = (uint64_t)(uintptr_t)temporal__coro_trampoline;
#else /* aarch64 */
    uint64_t *sp = (uint64_t *)(top - 160);
    memset(sp, 0, 160);
    sp[0] = (uint64_t)(uintptr_t)c;                         /* x19 */
    sp[1] = (uint64_t)(uintptr_t)coro_entry;                /* x20 */
    sp[11] = (uint64_t)(uintptr_t)temporal__coro_trampoline; /* x30 */
#endif
    c->sp = sp;
    *out = c;
    return 0;
}

void temporal__coro_resume(struct temporal__coro *c)
{
    c->running = true;
    c->previous = current;
    current = c;
#if CORO_ASAN
    __sanitizer_start_switch_fiber(&c->caller_fake_stack, c->stack_lo, c->stack_size);
#endif
    temporal__coro_switch(&c->caller_sp, c->sp);
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(c->caller_fake_stack, NULL, NULL);
#endif
    current = c->previous;
    c->running = false;
}

void temporal__coro_yield(void)
{
    struct temporal__coro *c = current;
#if CORO_ASAN
    __sanitizer_start_switch_fiber(&c->fake_stack, c->caller_stack_lo, c->caller_stack_size);
#endif
    temporal__coro_switch(&c->sp, c->caller_sp);
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(c->fake_stack, &c->caller_stack_lo, &c->caller_stack_size);
#endif
}

struct temporal__coro *temporal__coro_current(void) { return current; }

bool temporal__coro_done(const struct temporal__coro *c) { return c->done; }

void temporal__coro_free(struct temporal__coro *c)
{
    if (c == NULL)
        return;
#if CORO_VALGRIND
    VALGRIND_STACK_DEREGISTER(c->valgrind_stack_id);
#endif
    stack_put(c->map, c->map_size);
    free(c);
}
