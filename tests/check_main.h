/* The one main() of every Check suite: runs the suite, exits non-zero on failure. */
#ifndef DUBSTAGE_TESTS_CHECK_MAIN_H
#define DUBSTAGE_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	const int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
