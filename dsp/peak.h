/* Sample peak of a block: the largest |x|. Shared by the meters, the
 * true-peak meter's skip test and the file writer's report peak. */
#ifndef DUBSTAGE_DSP_PEAK_H
#define DUBSTAGE_DSP_PEAK_H

#include <stdint.h>

#include "dsp/rt.h"

/* The largest of `most` (>= 0) and |x[0..n)|. x must be finite (nothing
 * non-finite reaches a bus; a NaN here would order above every number). */
RT float peak_of_rt(const float *x, uint32_t n, float most);

#endif
