/* SPDX-License-Identifier: MIT */
/*
 * soak-daemon.c - bench-soak's daemon: started (fork/exec, its own
 * directory), stopped, its log scanned for sanitizer reports, its fds and
 * state directory measured; the seeded random numbers; dying with the
 * place of a fault.
 */
#include "soak.h"

bool verbose;

/* ------------------------------------------------------------ random */

uint64_t rng_state;

uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

struct soak_daemon d;

static void daemon_kill(void)
{
	if (d.pid > 0) {
		kill(d.pid, SIGKILL);
		waitpid(d.pid, NULL, 0);
		d.pid = 0;
	}
}

bool keep_dir;

void cleanup(void)
{
	char cmd[160];

	daemon_kill();
	if (d.dir[0] && !keep_dir) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d.dir);
		if (system(cmd))
			fprintf(stderr, "bench-soak: could not remove %s\n", d.dir);
	}
}

void on_signal(int sig)
{
	if (d.pid > 0)
		kill(d.pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct soak_touching touching;

/* Print the line of /proc/self/maps that holds addr (its protection), if any. */
static void print_map_of(uintptr_t addr)
{
	static char buf[1 << 16];
	size_t len = 0;
	ssize_t k;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return;
	for (;;) {
		char *line = buf, *nl;

		k = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = 0;
		while ((nl = strchr(line, '\n'))) {
			char *end;
			unsigned long long a = strtoull(line, &end, 16), b;

			*nl = 0;
			b = *end == '-' ? strtoull(end + 1, NULL, 16) : 0;
			if (addr >= a && addr < b)
				fprintf(stderr, "bench-soak:   mapping: %s\n", line);
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	close(fd);
}

/*
 * SIGSEGV/SIGBUS: say where (the address, its mapping, the group touch()
 * was at) before dying, so a crash seen once can be told from the next.
 * Not async-signal-safe (stdio), acceptable for a process about to die.
 */
void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fprintf(stderr, "bench-soak: %s at addr=%p\n", sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
		si->si_addr);
	if (touching.on)
		fprintf(stderr, "bench-soak:   in touch(): host=%d dev=%d group id=%llu at %p "
			"size=0x%llx (offset 0x%llx)\n", touching.hi, touching.dv,
			(unsigned long long)touching.id, touching.addr,
			(unsigned long long)touching.size,
			(unsigned long long)((uintptr_t)si->si_addr - (uintptr_t)touching.addr));
	print_map_of((uintptr_t)si->si_addr);
	fflush(stderr);
	on_signal(sig);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-soak: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bench_log_tail(d.log);
	keep_dir = true;
	fprintf(stderr, "bench-soak: directory kept: %s\n", d.dir);
	exit(1);
}

void daemon_exec(void)
{
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	char obj[NDEV][256], dev[NDEV][256], fm_arg[NDEV][180], hs[NDEV][180], qmp_arg[200];

	snprintf(obj[0], sizeof(obj[0]), "memory-backend-file,id=m0,size=%llu,share=on,mem-path=%s",
		 (unsigned long long)D0_BLOCKS * BLK, d.mem[0]);
	snprintf(obj[1], sizeof(obj[1]), "memory-backend-file,id=m1,size=%llu,share=on,mem-path=%s",
		 (unsigned long long)D1_BLOCKS * BLK, d.mem[1]);
	snprintf(dev[0], sizeof(dev[0]),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=%u,"
		 "mbox-payload-size=4K,event-log-depth=1024", d.nr_hosts);
	snprintf(dev[1], sizeof(dev[1]),
		 "cxl-type3,id=d1,num-dc-regions=1,volatile-dc-memdev=m1,num-hosts=%u,sharable=on,"
		 "mbox-payload-size=4K,event-log-depth=1024", d.nr_hosts);
	for (int i = 0; i < NDEV; i++) {
		snprintf(fm_arg[i], sizeof(fm_arg[i]), "unix:%s,device=d%d", d.fm[i], i);
		snprintf(hs[i], sizeof(hs[i]), "unix:%s,device=d%d", d.host[i], i);
	}
	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server,wait=off", d.qmp);

	const char *argv[] = { bin, "-object", obj[0], "-object", obj[1], "-device", dev[0],
			       "-device", dev[1], "--fm", fm_arg[0], "--fm", fm_arg[1], "--host-socket",
			       hs[0], "--host-socket", hs[1], "-qmp", qmp_arg, "--state", d.state,
			       NULL };

	d.pid = bench_spawn(bin, argv, d.log);
	if (d.pid < 0)
		die("fork: %s", strerror(errno));
	d.starts++;
}

static off_t log_checked; /* sanitizer reports before this offset are counted */

static void scan_log(void)
{
	FILE *f = fopen(d.log, "r");
	char line[512];

	if (!f)
		return;
	fseeko(f, log_checked, SEEK_SET);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "ERROR: LeakSanitizer") ||
		    strstr(line, "runtime error:")) {
			d.san_reports++;
			fprintf(stderr, "bench-soak: daemon log: %s", line);
		}
	log_checked = ftello(f);
	fclose(f);
}

/* SIGTERM and wait for the exit (a clean shutdown); the status is checked. */
void daemon_term(void)
{
	double until = bench_now_s() + 120;
	int st = 0;

	kill(d.pid, SIGTERM);
	while (waitpid(d.pid, &st, WNOHANG) != d.pid) {
		if (bench_now_s() > until)
			die("cxldcd did not exit within 120 s of SIGTERM");
		usleep(2000);
	}
	d.pid = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		d.bad_exits++;
		fprintf(stderr, "bench-soak: cxldcd stopped with %s %d\n",
			WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	scan_log();
}

int daemon_connect(const char *path)
{
	int st = 0, fd = bench_connect_unix(path, &d.pid, WAIT_S, &st);

	if (fd == -2)
		die("cxldcd exited (%s %d)", WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	if (fd < 0)
		die("cannot connect to %s", path);
	return fd;
}

int count_fds(void)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)d.pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

static uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F)
		du_total += (uint64_t)st->st_size;
	return 0;
}

uint64_t state_bytes(void)
{
	du_total = 0;
	nftw(d.state, du_one, 8, FTW_PHYS);
	return du_total;
}

/* ------------------------------------------------------------ clients */

struct fm_client fm[NDEV];
