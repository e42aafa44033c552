/* OSC load generator (scripts/osc_load.sh; not part of the default test run):
 * SURFACES senders, each RATE messages a second for SECONDS, to a dubstage at
 * 127.0.0.1:PORT with STRIPS strips; each sender owns every SURFACES-th strip
 * (one socket per strip keeps its messages in order), cycling fader, mute,
 * pan and EQ gain. One more socket subscribes and times the fader feedback.
 * At the end every parameter is queried and compared with the last value
 * sent. Prints one line of figures; exit 1 when a final value differs.
 *   osc_load PORT SECONDS SURFACES RATE STRIPS */
#include <arpa/inet.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in target;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int open_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&a, sizeof a);
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	return fd;
}

static void send_msg(int fd, const char *path, lo_message m)
{
	char buf[512];
	size_t n = sizeof buf;
	lo_message_serialise(m, path, buf, &n);
	lo_message_free(m);
	sendto(fd, buf, n, 0, (struct sockaddr *)&target, sizeof target);
}

enum { P_FADER, P_MUTE, P_PAN, P_EQ, N_P };
static const char *const names[N_P] = {"fader", "mute", "pan/az", "eq/2/gain"};

static int cmp(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: osc_load PORT SECONDS SURFACES RATE STRIPS\n");
		return 2;
	}
	const int port = atoi(argv[1]), surfaces = atoi(argv[3]), rate = atoi(argv[4]), strips = atoi(argv[5]);
	const double seconds = atof(argv[2]);
	target = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int *fd = calloc((size_t)surfaces, sizeof *fd);
	for (int s = 0; s < surfaces; s++)
		fd[s] = open_socket();
	const int observer = open_socket();
	lo_message m = lo_message_new();
	lo_message_add_int32(m, (int32_t)seconds + 60);
	send_msg(observer, "/subscribe", m);

	float *last = calloc((size_t)strips * N_P, sizeof *last);
	bool *sent = calloc((size_t)strips * N_P, sizeof *sent);
	/* fader values carry a sequence number: -(seq % 80000) / 1000 dB */
	double *sent_at = calloc(80000, sizeof *sent_at);
	int *strip_of = calloc(80000, sizeof *strip_of); /* which strip sequence number seq was sent to */
	double *lat = calloc(2000000, sizeof *lat);
	size_t n_lat = 0, total = 0, feedback = 0;
	uint32_t seq = 0;
	const double start = now_s();
	char buf[2048], path[128];
	for (double t = start; t - start < seconds; t = now_s()) {
		/* what every sender should have sent by now */
		const size_t due = (size_t)((t - start) * rate) + 1;
		for (int s = 0; s < surfaces; s++)
			for (size_t k = total / (size_t)surfaces; k < due; k++) {
				/* sender s owns strips s, s + surfaces, ... */
				const size_t owned = (size_t)((strips - s + surfaces - 1) / surfaces);
				if (owned == 0)
					continue;
				const int strip = (int)(k * 7 % owned) * surfaces + s;
				const int p = (int)(k / owned % N_P); /* every strip gets every parameter in turn */
				float v;
				lo_message msg = lo_message_new();
				if (p == P_FADER) {
					seq = (seq + 1) % 80000;
					v = -(float)seq / 1000.0f;
					sent_at[seq] = now_s();
					strip_of[seq] = strip;
					lo_message_add_float(msg, v);
				} else if (p == P_MUTE) {
					v = (float)(k / owned / N_P % 2);
					lo_message_add_int32(msg, (int32_t)v);
				} else if (p == P_PAN) {
					v = (float)(k % 300) - 150.0f;
					lo_message_add_float(msg, v);
				} else {
					v = (float)(k % 31) - 15.0f;
					lo_message_add_float(msg, v);
				}
				snprintf(path, sizeof path, "/strip/%d/%s", strip + 1, names[p]);
				send_msg(fd[s], path, msg);
				last[strip * N_P + p] = v;
				sent[strip * N_P + p] = true;
			}
		total = due * (size_t)surfaces;
		/* feedback */
		struct pollfd pf = {observer, POLLIN, 0};
		while (poll(&pf, 1, 0) == 1) {
			ssize_t n = recv(observer, buf, sizeof buf, 0);
			if (n <= 0)
				break;
			const size_t len = strlen(buf);
			if (len > 6 && strcmp(buf + len - 6, "/fader") == 0) {
				int r;
				lo_message fb = lo_message_deserialise(buf, (size_t)n, &r);
				if (fb) {
					/* timed only when it is still its strip's latest move: a
					 * snapshot recall's fade also sends fader values, which
					 * would match older sends of the same value */
					const float v = lo_message_get_argv(fb)[0]->f;
					const uint32_t sq = (uint32_t)lrintf(-v * 1000.0f);
					const bool latest = sq < 80000 && last[strip_of[sq] * N_P + P_FADER] == v;
					if (latest && sent_at[sq] > 0 && n_lat < 2000000)
						lat[n_lat++] = 1000.0 * (now_s() - sent_at[sq]);
					lo_message_free(fb);
				}
				feedback++;
			}
		}
		usleep(500);
	}
	const double elapsed = now_s() - start;
	usleep(500 * 1000);
	/* the final state: every parameter sent, queried */
	size_t checked = 0, wrong = 0;
	for (int strip = 0; strip < strips; strip++)
		for (int p = 0; p < N_P; p++) {
			if (!sent[strip * N_P + p])
				continue;
			snprintf(path, sizeof path, "/strip/%d/%s", strip + 1, names[p]);
			const int q = fd[0];
			send_msg(q, path, lo_message_new());
			struct pollfd pf = {q, POLLIN, 0};
			bool ok = false;
			while (poll(&pf, 1, 500) == 1) {
				ssize_t n = recv(q, buf, sizeof buf, 0);
				if (n <= 0 || strcmp(buf, path) != 0)
					continue;
				int r;
				lo_message rep = lo_message_deserialise(buf, (size_t)n, &r);
				if (rep) {
					const char *types = lo_message_get_types(rep);
					const float got = types[0] == 'i' ? (float)lo_message_get_argv(rep)[0]->i
					                                  : lo_message_get_argv(rep)[0]->f;
					ok = fabsf(got - last[strip * N_P + p]) < 1e-4f;
					if (!ok && wrong < 5)
						fprintf(stderr, "osc_load: %s is %g, last sent %g\n", path, got, last[strip * N_P + p]);
					lo_message_free(rep);
				}
				break;
			}
			checked++;
			wrong += !ok;
		}
	qsort(lat, n_lat, sizeof *lat, cmp);
	printf("sent %zu messages in %.1f s (%.0f/s), fader feedback %zu (timed %zu): latency p50 %.3f ms, "
	       "p99 %.3f ms, max %.3f ms; final state: %zu parameters checked, %zu differ\n",
	       total, elapsed, (double)total / elapsed, feedback, n_lat, n_lat ? lat[n_lat / 2] : NAN,
	       n_lat ? lat[n_lat * 99 / 100] : NAN, n_lat ? lat[n_lat - 1] : NAN, checked, wrong);
	return wrong ? 1 : 0;
}
