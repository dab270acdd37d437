/* The retry policy of the rpc module (pure functions). */
#include <grpc/status.h>

#include "rpc.h"
#include "support.h"

static void retryable_statuses(void **state)
{
    (void)state;
    const int yes[] = { GRPC_STATUS_UNAVAILABLE, GRPC_STATUS_INTERNAL, GRPC_STATUS_UNKNOWN,
                        GRPC_STATUS_ABORTED, GRPC_STATUS_DATA_LOSS, GRPC_STATUS_OUT_OF_RANGE,
                        GRPC_STATUS_RESOURCE_EXHAUSTED };
    const int no[] = { GRPC_STATUS_INVALID_ARGUMENT, GRPC_STATUS_NOT_FOUND,
                       GRPC_STATUS_ALREADY_EXISTS, GRPC_STATUS_PERMISSION_DENIED,
                       GRPC_STATUS_UNAUTHENTICATED, GRPC_STATUS_FAILED_PRECONDITION,
                       GRPC_STATUS_UNIMPLEMENTED, GRPC_STATUS_CANCELLED,
                       GRPC_STATUS_DEADLINE_EXCEEDED };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(temporal__rpc_is_retryable(yes[i], "x"));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(temporal__rpc_is_retryable(no[i], "x"));
}

static void message_too_large_never_retried(void **state)
{
    (void)state;
    const char *msgs[] = {
        "grpc: received message larger than max (5000000 vs. 4194304)",
        "grpc: received message after decompression larger than max (5000000 vs. 4194304)",
        "Received message larger than max (5000000 vs. 4194304)",
    };
    for (size_t i = 0; i < 3; i++) {
        assert_true(temporal__rpc_is_message_too_large(GRPC_STATUS_RESOURCE_EXHAUSTED, msgs[i]));
        assert_false(temporal__rpc_is_retryable(GRPC_STATUS_RESOURCE_EXHAUSTED, msgs[i]));
        assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_RESOURCE_EXHAUSTED, msgs[i], NULL),
                         TEMPORAL_EMESSAGE_TOO_LARGE);
    }
    assert_true(temporal__rpc_is_retryable(GRPC_STATUS_RESOURCE_EXHAUSTED, "namespace rps limit"));
    assert_false(temporal__rpc_is_message_too_large(GRPC_STATUS_INTERNAL, msgs[0]));
}

static void backoff_schedule(void **state)
{
    (void)state;
    /* Ordinary retryable failures: 100 ms x1.7, capped at 5 s. */
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_UNAVAILABLE, 1), 100);
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_UNAVAILABLE, 2), 170);
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_UNAVAILABLE, 3), 289);
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_UNAVAILABLE, 50), 5000);
    /* RESOURCE_EXHAUSTED: the slower throttle, 1 s x2, capped at 10 s. */
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_RESOURCE_EXHAUSTED, 1), 1000);
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_RESOURCE_EXHAUSTED, 2), 2000);
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_RESOURCE_EXHAUSTED, 4), 8000);
    assert_int_equal(temporal__rpc_backoff_ms(GRPC_STATUS_RESOURCE_EXHAUSTED, 9), 10000);
}

static void status_mapping(void **state)
{
    (void)state;
    assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_UNAVAILABLE, "", NULL),
                     TEMPORAL_EUNAVAILABLE);
    assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_DEADLINE_EXCEEDED, "", NULL),
                     TEMPORAL_ETIMEDOUT);
    assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_UNAUTHENTICATED, "", NULL),
                     TEMPORAL_EUNAUTHENTICATED);
    assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_ALREADY_EXISTS, "",
                                                  "WorkflowExecutionAlreadyStartedFailure"),
                     TEMPORAL_EWORKFLOW_ALREADY_STARTED);
    assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_NOT_FOUND, "",
                                                  "NamespaceNotFoundFailure"),
                     TEMPORAL_ENAMESPACE_NOT_FOUND);
    assert_int_equal(temporal__rpc_status_to_code(GRPC_STATUS_DATA_LOSS, "", NULL),
                     TEMPORAL_EGRPC);
    assert_string_equal(temporal__rpc_status_name(GRPC_STATUS_UNAVAILABLE), "UNAVAILABLE");
    assert_string_equal(temporal__rpc_status_name(99), "UNKNOWN_STATUS");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(retryable_statuses),
    cmocka_unit_test(message_too_large_never_retried),
    cmocka_unit_test(backoff_schedule),
    cmocka_unit_test(status_mapping),
};
TS_MAIN(tests)
