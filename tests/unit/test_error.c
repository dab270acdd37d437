/* Error names, messages and classification. */
#include <string.h>

#include "support.h"

static void names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(temporal_err_name(TEMPORAL_EUNAVAILABLE), "TEMPORAL_EUNAVAILABLE");
    assert_string_equal(temporal_err_name(TEMPORAL_OK), "TEMPORAL_OK");
    assert_string_equal(temporal_err_name(-9999), "TEMPORAL_UNKNOWN");
    assert_string_equal(temporal_strerror(TEMPORAL_ENOMEM), "out of memory");
    assert_string_equal(temporal_strerror(12345), "unknown error");
    /* Codes stay in their bands. */
    assert_true(TEMPORAL_EINVAL > -100);
    assert_true(TEMPORAL_EGRPC <= -100 && TEMPORAL_ETLS > -200);
    assert_true(TEMPORAL_EPROTOCOL <= -200 && TEMPORAL_EPAYLOAD_ENCODING > -300);
    assert_string_equal(temporal_version(), TEMPORAL_VERSION);
    assert_non_null(strstr(temporal_api_version(), "temporalio "));
}

static void retryable_codes(void **state)
{
    (void)state;
    assert_true(temporal_err_is_retryable(TEMPORAL_EUNAVAILABLE));
    assert_true(temporal_err_is_retryable(TEMPORAL_ERESOURCE_EXHAUSTED));
    assert_false(temporal_err_is_retryable(TEMPORAL_EMESSAGE_TOO_LARGE));
    assert_false(temporal_err_is_retryable(TEMPORAL_EINVAL));
    assert_false(temporal_err_is_retryable(TEMPORAL_EWORKFLOW_ALREADY_STARTED));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(names_and_messages),
    cmocka_unit_test(retryable_codes),
};
TS_MAIN(tests)
