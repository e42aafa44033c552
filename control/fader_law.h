/* The surface fader law: a fader's position 0 ... 1 on a surface (a motor
 * fader, a TouchOSC slider) to dB and back. The 4-segment law of widely used
 * digital consoles (../shared/reference/standards.md, "Fader law"):
 *   0.5 <= f <= 1       40 f - 30    (0.75 -> 0 dB, 1 -> +10 dB)
 *   0.25 <= f < 0.5     80 f - 50
 *   0.0625 <= f < 0.25  160 f - 70
 *   0 <= f < 0.0625     480 f - 90   (0 -> -90 dB, treated as -inf)
 * Any thread. */
#ifndef DUBSTAGE_CONTROL_FADER_LAW_H
#define DUBSTAGE_CONTROL_FADER_LAW_H

/* dB for position f (clamped to 0 ... 1); position 0 is -inf (off). */
float fader_law_db(float position);
/* The position that gives db (-inf and anything at or below -90 dB: 0;
 * above +10: 1). */
float fader_law_position(float db);

#endif
