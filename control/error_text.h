/* The control layer's way of failing: a readable reason into the caller's
 * buffer, and -1. */
#ifndef DUBSTAGE_CONTROL_ERROR_TEXT_H
#define DUBSTAGE_CONTROL_ERROR_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static inline int error_text(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

#endif
