#include "control/fader_law.h"

#include <math.h>

float fader_law_db(float f)
{
	if (!(f > 0.0f)) /* 0, below, or NaN: off */
		return -INFINITY;
	if (f > 1.0f)
		f = 1.0f;
	if (f >= 0.5f)
		return 40.0f * f - 30.0f;
	if (f >= 0.25f)
		return 80.0f * f - 50.0f;
	if (f >= 0.0625f)
		return 160.0f * f - 70.0f;
	return 480.0f * f - 90.0f;
}

float fader_law_position(float db)
{
	if (!(db > -90.0f))
		return 0.0f;
	if (db >= 10.0f)
		return 1.0f;
	if (db >= -10.0f)
		return (db + 30.0f) / 40.0f;
	if (db >= -30.0f)
		return (db + 50.0f) / 80.0f;
	if (db >= -60.0f)
		return (db + 70.0f) / 160.0f;
	return (db + 90.0f) / 480.0f;
}
