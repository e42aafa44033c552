#include <string.h>

#include "control/json_locate.h"
#include "tests/check_main.h"

static const char text[] =
	"{\n"
	"  \"buses\": [{\"name\": \"DX\"}],\n"
	"  \"strips\": [\n"
	"    {\"name\": \"A\", \"bus\": \"DX\"},\n"
	"    {\"name\": \"B\\\"q\", \"note\": {\"x\": [1, 2]}, \"bus\": \"DXX\"}\n"
	"  ]\n"
	"}\n";

START_TEST(finds_nested_values)
{
	struct json_path p = {{{"strips", 0}, {NULL, 1}, {"bus", 0}}, 3};
	int line, col;
	json_locate(text, &p, &line, &col);
	ck_assert_int_eq(line, 5);
	ck_assert_int_eq(col, (int)(strstr(text, "\"DXX\"") - strstr(text, "    {\"name\": \"B")) + 1);
	char buf[64];
	json_path_format(&p, buf, sizeof buf);
	ck_assert_str_eq(buf, "strips[1].bus");
}
END_TEST

START_TEST(missing_key_reports_the_parent)
{
	struct json_path p = {{{"strips", 0}, {NULL, 0}, {"count", 0}}, 3};
	int line, col;
	json_locate(text, &p, &line, &col);
	ck_assert_int_eq(line, 4);
	ck_assert_int_eq(col, 5);
	struct json_path root = {.depth = 0};
	json_locate(text, &root, &line, &col);
	ck_assert_int_eq(line, 1);
	ck_assert_int_eq(col, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json_locate");
	TCase *t = tcase_create("core");
	tcase_add_test(t, finds_nested_values);
	tcase_add_test(t, missing_key_reports_the_parent);
	suite_add_tcase(s, t);
	return run_suite(s);
}
