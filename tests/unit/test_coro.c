/* Stackful coroutines: order of execution, many coroutines, deep stacks, the guard page. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro.h"
#include "support.h"

struct trace {
    char log[256];
    size_t len;
};

static void note(struct trace *t, char c)
{
    if (t->len + 1 < sizeof(t->log))
        t->log[t->len++] = c;
    t->log[t->len] = '\0';
}

static void ping(void *arg)
{
    struct trace *t = arg;
    note(t, 'a');
    temporal__coro_yield();
    note(t, 'b');
    temporal__coro_yield();
    note(t, 'c');
}

static void resume_and_yield_order(void **state)
{
    (void)state;
    struct trace t = { "", 0 };
    struct temporal__coro *c;
    assert_int_equal(temporal__coro_new(&c, ping, &t, 0), 0);
    assert_null(temporal__coro_current());
    note(&t, '1');
    temporal__coro_resume(c);
    note(&t, '2');
    assert_false(temporal__coro_done(c));
    temporal__coro_resume(c);
    note(&t, '3');
    temporal__coro_resume(c);
    assert_true(temporal__coro_done(c));
    assert_string_equal(t.log, "1a2b3c");
    assert_null(temporal__coro_current());
    temporal__coro_free(c);
}

static void count_up(void *arg)
{
    int *n = arg;
    for (int i = 0; i < 3; i++) {
        (*n)++;
        temporal__coro_yield();
    }
}

static void many_interleaved(void **state)
{
    (void)state;
    enum { N = 500 };
    static struct temporal__coro *cs[N];
    static int counts[N];
    memset(counts, 0, sizeof(counts));
    for (int i = 0; i < N; i++)
        assert_int_equal(temporal__coro_new(&cs[i], count_up, &counts[i], 64 * 1024), 0);
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < N; i++)
            if (!temporal__coro_done(cs[i]))
                temporal__coro_resume(cs[i]);
    for (int i = 0; i < N; i++) {
        assert_int_equal(counts[i], 3);
        assert_true(temporal__coro_done(cs[i]));
        temporal__coro_free(cs[i]);
    }
}

static int recurse(int depth)
{
    volatile char pad[512];
    memset((char *)pad, depth & 0xff, sizeof(pad));
    if (depth == 0)
        return pad[0];
    temporal__coro_yield(); /* switching deep inside a stack works */
    return recurse(depth - 1) + pad[1];
}

static void deep(void *arg)
{
    *(int *)arg = recurse(200); /* ~100 KiB of stack */
}

static void deep_stack_with_yields(void **state)
{
    (void)state;
    int result = -1;
    struct temporal__coro *c;
    assert_int_equal(temporal__coro_new(&c, deep, &result, 0), 0);
    int resumes = 0;
    while (!temporal__coro_done(c)) {
        temporal__coro_resume(c);
        resumes++;
    }
    assert_int_equal(resumes, 201);
    assert_true(result >= 0);
    temporal__coro_free(c);
}

static void floats(void *arg)
{
    double *d = arg;
    double x = 1.5;
    temporal__coro_yield();
    *d = x * 2.25;
}

static void floating_point_survives_switches(void **state)
{
    (void)state;
    double out = 0, mine = 3.25;
    struct temporal__coro *c;
    assert_int_equal(temporal__coro_new(&c, floats, &out, 0), 0);
    temporal__coro_resume(c);
    mine *= 2;
    temporal__coro_resume(c);
    assert_true(out == 3.375);
    assert_true(mine == 6.5);
    temporal__coro_free(c);
}

static volatile int recursion_limit = 1 << 30; /* in practice: until the stack runs out */

static int unbounded(int n)
{
    volatile char pad[4096];
    pad[0] = (char)n;
    if (n >= recursion_limit)
        return 0;
    return unbounded(n + 1) + pad[0];
}

static void overflow(void *arg)
{
    (void)arg;
    unbounded(0);
}

static void overflow_hits_the_guard_page(void **state)
{
    (void)state;
    /* In a child process: the overflow must kill it (SIGSEGV on the guard page, or a
     * sanitizer's stack-overflow report), never run on into other memory. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct temporal__coro *c;
        if (temporal__coro_new(&c, overflow, NULL, 64 * 1024) != 0)
            _exit(3);
        temporal__coro_resume(c);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

static void stacks_are_reused(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) { /* would exhaust memory maps without the pool */
        struct temporal__coro *c;
        int n = 0;
        assert_int_equal(temporal__coro_new(&c, count_up, &n, 0), 0);
        temporal__coro_resume(c);
        temporal__coro_free(c); /* freed while suspended: allowed */
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(resume_and_yield_order),
    cmocka_unit_test(many_interleaved),
    cmocka_unit_test(deep_stack_with_yields),
    cmocka_unit_test(floating_point_survives_switches),
    cmocka_unit_test(overflow_hits_the_guard_page),
    cmocka_unit_test(stacks_are_reused),
};
TS_MAIN(tests)
