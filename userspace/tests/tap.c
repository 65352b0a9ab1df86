// SPDX-License-Identifier: GPL-2.0
/*
 * tap.c - the host tests' harness (see tap.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"
#include "tap.h"

static int case_failures;	/* in the child running a case */
static int skip_fd = -1;	/* the child writes its skip reason here */
static char tmpdir[256];

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	case_failures++;
	printf("# FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void tap_skip(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(skip_fd, buf, strlen(buf)) < 0)
		perror("tap_skip");
	fflush(stdout);
	_exit(4);
}

static int sub_failures_before;

void tap_sub_plan(int n)
{
	printf("  KTAP version 1\n  1..%d\n", n);
}

void tap_sub_begin(void)
{
	sub_failures_before = case_failures;
}

void tap_sub_end(int num, const char *name)
{
	printf("  %s %d %s\n", case_failures == sub_failures_before ? "ok" : "not ok", num, name);
}

void tap_diag(const char *fmt, ...)
{
	char buf[4096], *line, *save = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line);
}

/* Wait for @pid at most @timeout_s, then SIGKILL it. Return: wait status or -1. */
static int wait_bounded(pid_t pid, double timeout_s)
{
	double end = now_s() + timeout_s;
	int status;

	for (int i = 0; i < 1000000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (now_s() > end)
			break;
		sleep_s(0.002);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void run_case(const struct tap_case *c, int num, int *passed, int *failed)
{
	char reason[256] = "";
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	fflush(stdout);
	if (pipe(fds) || (pid = fork()) < 0) {
		printf("not ok %d %s # cannot fork: %s\n", num, c->name, strerror(errno));
		(*failed)++;
		return;
	}
	if (!pid) {
		close(fds[0]);
		skip_fd = fds[1];
		c->fn();
		fflush(stdout);
		_exit(case_failures ? 1 : 0);
	}
	close(fds[1]);
	status = wait_bounded(pid, TAP_CASE_TIMEOUT_S);
	n = read(fds[0], reason, sizeof(reason) - 1);
	reason[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 4) {
		printf("ok %d %s # SKIP %s\n", num, c->name, reason);
		return;
	}
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %d %s\n", num, c->name);
		(*passed)++;
		return;
	}
	if (status < 0)
		printf("# %s: timed out after %d s\n", c->name, TAP_CASE_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		printf("# %s: killed by signal %d\n", c->name, WTERMSIG(status));
	printf("not ok %d %s\n", num, c->name);
	(*failed)++;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int tap_run(const struct tap_case *const *suites, const size_t *counts, int nsuites)
{
	int total = 0, num = 0, passed = 0, failed = 0;

	snprintf(tmpdir, sizeof(tmpdir), "%s/migrace-tests.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	for (int s = 0; s < nsuites; s++)
		total += (int)counts[s];
	printf("KTAP version 1\n1..%d\n", total);
	for (int s = 0; s < nsuites; s++)
		for (size_t i = 0; i < counts[s]; i++)
			run_case(&suites[s][i], ++num, &passed, &failed);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("# %d skipped\n", total - passed - failed);
	printf("%d passed, %d failed\n", passed, failed);
	fflush(stdout);
	return failed;
}

const char *tap_tmpdir(void)
{
	return tmpdir;
}

char *tap_path(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

void tap_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		tap_fail(__FILE__, __LINE__, "cannot write %s: %s", path, strerror(errno));
}

char *tap_read_file(const char *path)
{
	return read_text(path);
}

/* Append what is readable on @fd to @buf; false at EOF. */
static bool drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *nb;

	if (n <= 0)
		return n < 0 && errno == EINTR;
	nb = realloc(*buf, *len + n + 1);
	if (!nb)
		return false;
	memcpy(nb + *len, chunk, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return true;
}

static void child_exec(char *const argv[], char *const env[], int o, int e)
{
	dup2(o, 1);
	dup2(e, 2);
	for (int i = 0; env && env[i]; i++)
		putenv(env[i]);
	execvp(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int tap_exec(char *const argv[], char *const env[], double timeout_s, char **out, char **err)
{
	return tap_exec_signal(argv, env, timeout_s, 0, 0, out, err);
}

int tap_exec_signal(char *const argv[], char *const env[], double timeout_s, int sig,
		    double after_s, char **out, char **err)
{
	double start = now_s();
	int po[2], pe[2], status;
	size_t lo = 0, le = 0;
	double end = start + timeout_s;
	struct pollfd p[2];
	pid_t pid;

	*out = calloc(1, 1);
	*err = calloc(1, 1);
	fflush(stdout);
	if (pipe(po) || pipe(pe) || (pid = fork()) < 0)
		return -1;
	if (!pid)
		child_exec(argv, env, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	p[0] = (struct pollfd){ .fd = po[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
	while ((p[0].fd >= 0 || p[1].fd >= 0) && now_s() < end) {
		if (sig && now_s() - start >= after_s) {
			kill(pid, sig);
			sig = 0;
		}
		if (poll(p, 2, 20) <= 0)
			continue;
		if (p[0].revents && !drain(po[0], out, &lo))
			p[0].fd = -1;
		if (p[1].revents && !drain(pe[0], err, &le))
			p[1].fd = -1;
	}
	close(po[0]);
	close(pe[0]);
	status = wait_bounded(pid, end - now_s() > 0 ? end - now_s() : 0.1);
	if (status < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
