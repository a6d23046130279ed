/* SPDX-License-Identifier: MIT */
/*
 * test-daemon-life.c - integration: the real cxldcd's lifecycle and
 * defaults: SIGTERM/SIGINT send SHUTDOWN and leave no socket, every device
 * gets default sockets unless "none", a pasted QEMU line names its sockets,
 * a failed start says why once, the log level and SIGHUP's reopened log
 * file, --daemonize and --pidfile.  QMP over the daemon's socket is tested
 * in test-daemon.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dproc.h"
#include "qmp-client.h"

#include "daemon-proc.h"

/* ---- lifecycle and defaults (issue 13) --------------------------------- */

#define DEV0 "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G"
#define DEV1 "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=1G"

/* Is there a file @name in the runtime directory (XDG_RUNTIME_DIR=p->dir)? */
static bool in_rundir(const struct proc *p, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cxldcd/%s", p->dir, name);
	return access(path, F_OK) == 0;
}

/* Wait until @what appears in the log; false after TMO. */
static bool log_has(struct proc *p, const char *what)
{
	for (int i = 0; i < TMO / 10; i++) {
		if (strstr(read_log(p), what))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * SIGTERM and SIGINT send QEMU's SHUTDOWN event (reason host-signal) before
 * the daemon exits 0, and every socket file it made (QMP, FM, host link,
 * the defaults in the runtime directory) is gone.
 */
static void test_signal_sends_shutdown_and_leaves_no_socket(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT };

	(void)state;
	for (int i = 0; i < 2; i++) {
		const char *args[] = { "-device", DEV0, "-device", DEV1, NULL };
		struct proc p;
		struct qmp_client *c;
		json_t *e, *data;

		proc_init(&p);
		spawn(&p, args);
		/* no -qmp: the default QMP socket, in the runtime directory */
		snprintf(p.sock, sizeof(p.sock), "%s/cxldcd/qmp.sock", p.dir);
		c = connect_negotiated(&p);
		assert_true(in_rundir(&p, "fm.sock") && in_rundir(&p, "host.sock"));
		assert_true(in_rundir(&p, "fm-d1.sock") && in_rundir(&p, "host-d1.sock"));
		kill(p.pid, sigs[i]);
		e = qmp_client_event(c, "SHUTDOWN", TMO);
		assert_non_null(e);
		data = json_object_get(e, "data");
		assert_true(json_is_false(json_object_get(data, "guest")));
		assert_string_equal(json_string_value(json_object_get(data, "reason")), "host-signal");
		json_decref(e);
		assert_int_equal(wait_exit(&p, TMO), 0);
		assert_false(in_rundir(&p, "qmp.sock") || in_rundir(&p, "fm.sock") ||
			     in_rundir(&p, "host.sock") || in_rundir(&p, "fm-d1.sock") ||
			     in_rundir(&p, "host-d1.sock"));
		qmp_client_free(c);
		cleanup(&p);
	}
}

/*
 * Every -device gets an FM and a host-link socket in the runtime directory
 * when the command line names none, and the daemon prints where they are;
 * "--fm none --host-socket none" turns them off.
 */
static void test_every_device_gets_default_sockets_unless_none(void **state)
{
	const char *args[] = { "-device", DEV0, "-device", DEV1, NULL };
	const char *none[] = { "-device", DEV0, "--fm", "none", "--host-socket", "none", NULL };
	char want[300];
	struct proc p;
	int fd;

	(void)state;
	proc_init(&p);
	spawn(&p, args);
	snprintf(want, sizeof(want), "fm: listening on unix:%s/cxldcd/fm-d1.sock (device d1)", p.dir);
	assert_true(log_has(&p, want));
	snprintf(want, sizeof(want), "host link: listening on unix:%s/cxldcd/host.sock (device d0)",
		 p.dir);
	assert_true(log_has(&p, want));
	snprintf(want, sizeof(want), "%s/cxldcd/fm.sock", p.dir);
	fd = dproc_connect_unix(want, TMO);
	assert_true(fd >= 0);
	close(fd);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	cleanup(&p);

	proc_init(&p);
	spawn(&p, none);
	assert_true(log_has(&p, "qmp: listening on"));
	assert_false(in_rundir(&p, "fm.sock") || in_rundir(&p, "host.sock"));
	assert_null(strstr(read_log(&p), "fm: listening"));
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	cleanup(&p);
}

/*
 * A user pastes the CXL part of QEMU's DCD example (machine, host bridge,
 * root port, cxl-type3) and nothing else: the daemon starts, says which
 * options it ignores and where every socket is, and SIGINT stops it with a
 * log line, exit status 0 and no socket file left.
 */
static void test_pasted_qemu_line_names_its_sockets_and_stops_on_sigint(void **state)
{
	const char *args[] = {
		"-M", "q35,cxl=on",
		"-object", "memory-backend-ram,id=vmem0,share=on,size=4G",
		"-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
		"-device", "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
		"-device", "cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2",
		"-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G", NULL,
	};
	static const char *const socks[][2] = {
		{ "qmp: listening on unix:", "qmp.sock" },
		{ "fm: listening on unix:", "fm.sock" },
		{ "mctp-cci: listening on unix:", "mctp.sock" },
		{ "host link: listening on unix:", "host.sock" },
	};
	char want[300];
	struct proc p;

	(void)state;
	proc_init(&p);
	spawn(&p, args);
	assert_true(log_has(&p, "device cxl-dcd0 (/machine/peripheral/cxl-dcd0): 2 DC region(s) of "
			    "2048 MiB"));
	assert_true(log_has(&p, "ignoring -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1: "
			    "a standalone device has no machine or CXL topology"));
	assert_true(log_has(&p, "ignoring -M q35,cxl=on"));
	assert_true(log_has(&p, "ignoring -device cxl-rp,"));
	assert_true(log_has(&p, "ignoring -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"));
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		snprintf(want, sizeof(want), "%s%s/cxldcd/%s", socks[i][0], p.dir, socks[i][1]);
		assert_true(log_has(&p, want));
		assert_true(in_rundir(&p, socks[i][1]));
	}
	kill(p.pid, SIGINT);
	assert_int_equal(wait_exit(&p, TMO), 0);
	assert_non_null(strstr(read_log(&p), "cxldcd: received Interrupt, shutting down"));
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		assert_false(in_rundir(&p, socks[i][1]));
	cleanup(&p);
}

/*
 * A daemon that cannot start says why in one line and exits 1; the sockets
 * it had opened before (the defaults in the runtime directory) are gone.
 * It used to add "stopping after error: File exists" (or "Cannot assign
 * requested address" for a host name that does not resolve).
 */
static void test_failure_to_start_says_why_once(void **state)
{
	char file[200], arg[220];
	const char *args[] = { "-device", DEV0, "--host-socket", arg, NULL };
	const char *tcp[] = { "-device", DEV0, "--host-socket", "tcp:nonexistent.invalid:4444", NULL };
	const char *zero[] = { "-object", "memory-backend-ram,id=z,size=0", NULL };
	struct proc p;
	const char *log;
	int fd;

	(void)state;
	proc_init(&p);
	snprintf(file, sizeof(file), "%s/file.sock", p.dir);
	snprintf(arg, sizeof(arg), "%s", file);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	spawn(&p, args);
	assert_int_equal(wait_exit(&p, TMO), 1);
	log = read_log(&p);
	assert_non_null(strstr(log, "cannot listen: "));
	assert_non_null(strstr(log, "file.sock exists and is not a socket"));
	assert_null(strstr(log, "stopping after error"));
	assert_null(strstr(log, "cannot start"));
	assert_false(in_rundir(&p, "qmp.sock") || in_rundir(&p, "fm.sock") ||
		     in_rundir(&p, "mctp.sock"));
	cleanup(&p);

	proc_init(&p);
	spawn(&p, tcp);
	assert_int_equal(wait_exit(&p, TMO), 1);
	log = read_log(&p);
	assert_non_null(strstr(log, "cxldcd: --host-socket tcp:nonexistent.invalid:4444: cannot resolve "
			       "'nonexistent.invalid' to an IPv4 address"));
	assert_null(strstr(log, "stopping after error"));
	cleanup(&p);

	/* a backend of size 0: the backend refuses it, with QEMU's text */
	proc_init(&p);
	spawn(&p, zero);
	assert_int_equal(wait_exit(&p, TMO), 1);
	log = read_log(&p);
	assert_non_null(strstr(log, "cxldcd: -object z: can't create backend with size 0\n"));
	cleanup(&p);
}

/* Routine requests log nothing at the default level; --log-level=info shows them. */
static void test_quiet_by_default_log_level_info_shows_requests(void **state)
{
	(void)state;
	for (int verbose = 0; verbose < 2; verbose++) {
		char qmp[200];
		const char *args[] = { "-qmp", qmp, verbose ? "--log-level=info" : NULL, NULL };
		struct proc p;
		struct qmp_client *c;
		const char *log;

		proc_init(&p);
		snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
		spawn(&p, args);
		c = connect_negotiated(&p);
		expect_alive(c);
		qmp_client_free(c);
		kill(p.pid, SIGTERM);
		assert_int_equal(wait_exit(&p, TMO), 0);
		log = read_log(&p);
		assert_non_null(strstr(log, "qmp: listening on"));
		if (verbose) {
			assert_non_null(strstr(log, "qmp_capabilities ok"));
		} else {
			assert_null(strstr(log, "qmp_capabilities"));
			assert_null(strstr(log, "connected"));
			assert_null(strstr(log, "session"));
		}
		cleanup(&p);
	}
}

/*
 * SIGHUP keeps the daemon running and reopens --log-file (logrotate moved
 * it): the next lines land in a new file of that name.
 */
static void test_sighup_reopens_the_log_file(void **state)
{
	char qmp[200], logf[200], moved[220], *text;
	const char *args[] = { "-qmp", qmp, "--log-file", logf, NULL };
	struct proc p;
	struct qmp_client *c;
	FILE *f;

	(void)state;
	proc_init(&p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	snprintf(logf, sizeof(logf), "%s/cxldcd.log", p.dir);
	snprintf(moved, sizeof(moved), "%s.1", logf);
	spawn(&p, args);
	c = connect_negotiated(&p);
	assert_int_equal(rename(logf, moved), 0);
	kill(p.pid, SIGHUP);
	expect_alive(c);
	for (int i = 0; i < TMO / 10 && access(logf, F_OK); i++)
		usleep(10000);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	text = calloc(1, 8192);
	assert_non_null(text);
	f = fopen(logf, "r");
	assert_non_null(f);
	assert_true(fread(text, 1, 8191, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "log file reopened"));
	assert_non_null(strstr(text, "shutting down"));
	assert_null(strstr(text, "qmp: listening on"));    /* that one went to the moved file */
	f = fopen(moved, "r");
	assert_non_null(f);
	memset(text, 0, 8192);
	assert_true(fread(text, 1, 8191, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "qmp: listening on"));
	free(text);
	qmp_client_free(c);
	cleanup(&p);
}

/*
 * Start a --daemonize cxldcd with args, wait for the parent to exit 0 and
 * return the daemon's pid from pidf (alive; the teardown kills it).
 */
static long spawn_daemonized(struct proc *p, const char **args, const char *pidf)
{
	long pid = 0;
	FILE *f;

	spawn(p, args);
	assert_int_equal(wait_exit(p, TMO), 0);
	f = fopen(pidf, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1 && kill((pid_t)pid, 0) == 0);
	dproc_track_pid((pid_t)pid);    /* not our child: the teardown kills it */
	return pid;
}

/*
 * Wait until @pid, not our child, has exited: gone, or a zombie its new
 * parent has not reaped yet (that can take a second or more: whatever
 * init the machine runs reaps in its own time).  False after TMO.
 */
static bool exited(long pid)
{
	for (int i = 0; i < TMO / 2; i++) {
		char st = dproc_state((pid_t)pid);

		if (!st || st == 'Z')
			return true;
		usleep(2000);
	}
	return false;
}

/*
 * --daemonize returns once the sockets listen (status 0) and --pidfile
 * names the daemon; quit removes the pid file and the socket.
 */
static void test_daemonize_and_pidfile(void **state)
{
	char qmp[200], pidf[200];
	const char *args[] = { "-qmp", qmp, "--daemonize", "--pidfile", pidf, NULL };
	struct proc p;
	struct qmp_client *c;
	long pid;
	json_t *r;

	(void)state;
	proc_init(&p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	snprintf(pidf, sizeof(pidf), "%s/cxldcd.pid", p.dir);
	/* Listening and the pid file written before the parent returned: no retry. */
	pid = spawn_daemonized(&p, args, pidf);
	assert_int_equal(qmp_client_connect_unix(p.sock, 0, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	r = qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO);
	json_decref(r);
	assert_int_equal(qmp_client_wait_eof(c, TMO), 0);
	assert_true(exited(pid));
	assert_int_equal(access(pidf, F_OK), -1);
	assert_int_equal(access(p.sock, F_OK), -1);
	qmp_client_free(c);
	cleanup(&p);
}

/*
 * A daemonized cxldcd hears its signals: SIGHUP reopens the log file,
 * SIGTERM stops it cleanly (log line, pid file and socket removed).  The
 * child used to miss them: its signalfd sat in an epoll set the parent had
 * filled, so only the parent, gone, would have been woken.
 */
static void test_daemonized_daemon_stops_on_sigterm(void **state)
{
	char qmp[200], pidf[200], logf[200];
	const char *args[] = { "-qmp", qmp, "--daemonize", "--pidfile", pidf, "--log-file", logf,
			       NULL };
	struct proc p;
	long pid = 0;
	FILE *f;
	char text[4096];
	size_t n = 0;

	(void)state;
	proc_init(&p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	snprintf(pidf, sizeof(pidf), "%s/cxldcd.pid", p.dir);
	snprintf(logf, sizeof(logf), "%s/daemon.log", p.dir);
	pid = spawn_daemonized(&p, args, pidf);
	assert_int_equal(kill((pid_t)pid, SIGHUP), 0);
	assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
	assert_true(exited(pid));
	assert_int_equal(access(pidf, F_OK), -1);
	assert_int_equal(access(p.sock, F_OK), -1);
	f = fopen(logf, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	assert_non_null(strstr(text, "SIGHUP: log file reopened"));
	assert_non_null(strstr(text, "received Terminated, shutting down"));
	cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_signal_sends_shutdown_and_leaves_no_socket, dproc_reap_all),
		cmocka_unit_test_teardown(test_every_device_gets_default_sockets_unless_none, dproc_reap_all),
		cmocka_unit_test_teardown(test_pasted_qemu_line_names_its_sockets_and_stops_on_sigint,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_failure_to_start_says_why_once, dproc_reap_all),
		cmocka_unit_test_teardown(test_quiet_by_default_log_level_info_shows_requests, dproc_reap_all),
		cmocka_unit_test_teardown(test_sighup_reopens_the_log_file, dproc_reap_all),
		cmocka_unit_test_teardown(test_daemonize_and_pidfile, dproc_reap_all),
		cmocka_unit_test_teardown(test_daemonized_daemon_stops_on_sigterm, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("daemon-life", tests, NULL, NULL);
}
