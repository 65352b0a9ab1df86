// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: the control-file parser. One line in, one struct migrace_cmd
 * out; the grammar and the key bounds are those of docs/interfaces.md.
 * The line is split in place and nothing is allocated, so the parser can be
 * driven from KUnit with plain buffers. On error *bad names the offending
 * token (or the word left without its argument).
 */
#include <linux/bits.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/threads.h>
#include <linux/time64.h>
#include "migrace.h"

enum migrace_key_field {
	MIGRACE_KEY_DELAY,
	MIGRACE_KEY_MIN,
	MIGRACE_KEY_MAX,
	MIGRACE_KEY_PROB,
	MIGRACE_KEY_EVERY,
	MIGRACE_KEY_TIMES,
	MIGRACE_KEY_TIMEOUT,
	MIGRACE_KEY_FLUSH,
	MIGRACE_KEY_UNTIL,
};

#define MIGRACE_KEY_DELAY_ONLY	BIT(MIGRACE_POLICY_DELAY)
#define MIGRACE_KEY_WIDENING	(BIT(MIGRACE_POLICY_DELAY) | \
				 BIT(MIGRACE_POLICY_RENDEZVOUS))
#define MIGRACE_KEY_ANY		(BIT(MIGRACE_POLICY_COUNT) | MIGRACE_KEY_WIDENING)

/* The one window whose clear can be forced to flush at once. */
#define MIGRACE_FLUSH_WINDOW	"pte-clear"
/* The one window whose delay can end at the folio's unlock. */
#define MIGRACE_UNTIL_WINDOW	"entry-wait"

/**
 * struct migrace_key - one KEY=VALUE of `arm`
 * @name: the key as written
 * @field: which policy field it sets
 * @policies: BIT() of each policy kind it is valid for
 */
struct migrace_key {
	const char *name;
	enum migrace_key_field field;
	unsigned int policies;
};

static const struct migrace_key migrace_keys[] = {
	{ "delay_us",	MIGRACE_KEY_DELAY,	MIGRACE_KEY_DELAY_ONLY },
	{ "min_us",	MIGRACE_KEY_MIN,	MIGRACE_KEY_DELAY_ONLY },
	{ "max_us",	MIGRACE_KEY_MAX,	MIGRACE_KEY_DELAY_ONLY },
	{ "prob",	MIGRACE_KEY_PROB,	MIGRACE_KEY_WIDENING },
	{ "every",	MIGRACE_KEY_EVERY,	MIGRACE_KEY_WIDENING },
	{ "times",	MIGRACE_KEY_TIMES,	MIGRACE_KEY_WIDENING },
	{ "timeout_us",	MIGRACE_KEY_TIMEOUT,	BIT(MIGRACE_POLICY_RENDEZVOUS) },
	{ "flush",	MIGRACE_KEY_FLUSH,	MIGRACE_KEY_ANY },
	{ "until",	MIGRACE_KEY_UNTIL,	MIGRACE_KEY_DELAY_ONLY },
};

/* Values of flush=: as the kernel decides (default), or at once. */
static const char *const migrace_flush_words[] = { "kernel", "immediate" };
/* Values of until=: the delay's end, or the folio's unlock if sooner. */
static const char *const migrace_until_words[] = { "delay", "unlock" };

static const char *const migrace_policy_words[] = {
	[MIGRACE_POLICY_COUNT]		= "count",
	[MIGRACE_POLICY_DELAY]		= "delay",
	[MIGRACE_POLICY_RENDEZVOUS]	= "rendezvous",
};

static const char *const migrace_target_words[] = {
	[MIGRACE_TARGET_PID]	= "pid",
	[MIGRACE_TARGET_TGID]	= "tgid",
	[MIGRACE_TARGET_PGID]	= "pgid",
	[MIGRACE_TARGET_COMM]	= "comm",
};

const char *migrace_target_word(enum migrace_target_kind kind)
{
	return migrace_target_words[kind];
}

static int migrace_bad(const char **bad, const char *tok)
{
	*bad = tok;
	return -EINVAL;
}

/* The next blank-separated token, NUL-terminated in place; NULL at the end. */
static char *next_token(char **cur)
{
	char *tok = skip_spaces(*cur);
	char *end = tok;

	if (!*tok) {
		*cur = tok;
		return NULL;
	}
	while (*end && !isspace(*end))
		end++;
	if (*end)
		*end++ = '\0';
	*cur = end;
	return tok;
}

/* The line must end here; else the first extra token is the bad one. */
static int expect_end(char **cur, const char **bad)
{
	char *tok = next_token(cur);

	return tok ? migrace_bad(bad, tok) : 0;
}

/* [a-z0-9-] exactly: the kernel's islower() also takes Latin-1 letters. */
static bool window_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* 1..MIGRACE_NAME_LEN-1 characters of [a-z0-9-]. */
static bool window_name_ok(const char *tok)
{
	size_t len = strlen(tok), i;

	if (!len || len >= MIGRACE_NAME_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!window_char_ok(tok[i]))
			return false;
	return true;
}

static int parse_policy_word(const char *tok, enum migrace_policy_kind *kind)
{
	int i = match_string(migrace_policy_words,
			     ARRAY_SIZE(migrace_policy_words), tok);

	if (i < 0)
		return i;
	*kind = i;
	return 0;
}

static const struct migrace_key *find_key(const char *tok, size_t len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(migrace_keys); i++)
		if (strlen(migrace_keys[i].name) == len &&
		    !strncmp(migrace_keys[i].name, tok, len))
			return &migrace_keys[i];
	return NULL;
}

/* The index of @val in @words, as the key's value. */
static int parse_key_word(const char *const *words, size_t n, const char *val,
			  u64 *v)
{
	int i = match_string(words, n, val);

	*v = i;
	return i < 0 ? -EINVAL : 0;
}

/*
 * A plain decimal: digits only (no sign, no 0x), u64 for times, else u32;
 * flush= and until= take a word (its index is the value).
 */
static int parse_key_value(const struct migrace_key *k, const char *val,
			   u64 *v)
{
	u32 v32;
	int err;

	if (k->field == MIGRACE_KEY_FLUSH)
		return parse_key_word(migrace_flush_words,
				      ARRAY_SIZE(migrace_flush_words), val, v);
	if (k->field == MIGRACE_KEY_UNTIL)
		return parse_key_word(migrace_until_words,
				      ARRAY_SIZE(migrace_until_words), val, v);
	if (!isdigit(*val))
		return -EINVAL;
	if (k->field == MIGRACE_KEY_TIMES)
		return kstrtou64(val, 10, v);
	err = kstrtou32(val, 10, &v32);
	*v = v32;
	return err;
}

/*
 * A delay or timeout in microseconds, as nanoseconds within the cap:
 * -ERANGE above it (the caller names the cap and what raises it).
 */
static int us_to_ns(u64 us, u32 max_delay_ns, u32 *ns)
{
	if (us * NSEC_PER_USEC > max_delay_ns)
		return -ERANGE;
	*ns = us * NSEC_PER_USEC;
	return 0;
}

static int set_key(struct migrace_policy *p, enum migrace_key_field field,
		   u64 v, u32 max_delay_ns)
{
	switch (field) {
	case MIGRACE_KEY_DELAY:
		if (us_to_ns(v, max_delay_ns, &p->min_ns))
			return -ERANGE;
		p->max_ns = p->min_ns;
		return 0;
	case MIGRACE_KEY_MIN:
		return us_to_ns(v, max_delay_ns, &p->min_ns);
	case MIGRACE_KEY_MAX:
		return us_to_ns(v, max_delay_ns, &p->max_ns);
	case MIGRACE_KEY_TIMEOUT:
		return us_to_ns(v, max_delay_ns, &p->timeout_ns);
	case MIGRACE_KEY_PROB:
		if (v > 100)
			return -EINVAL;
		p->prob_pct = v;
		return 0;
	case MIGRACE_KEY_EVERY:
		if (!v)
			return -EINVAL;
		p->every = v;
		return 0;
	case MIGRACE_KEY_TIMES:
		p->times = v;
		return 0;
	case MIGRACE_KEY_FLUSH:
		p->flush_immediate = v;
		return 0;
	case MIGRACE_KEY_UNTIL:
		p->until_unlock = v;
		return 0;
	}
	return -EINVAL;
}

/*
 * KEY=VALUE for the policy already chosen on @window; @range_tok: the last
 * min/max setter.
 */
static int apply_key(const char *tok, const char *window,
		     struct migrace_policy *p, u32 max_delay_ns,
		     const char **range_tok)
{
	const char *eq = strchr(tok, '=');
	const struct migrace_key *k;
	int err;
	u64 v;

	if (!eq)
		return -EINVAL;
	k = find_key(tok, eq - tok);
	if (!k || !(k->policies & BIT(p->kind)))
		return -EINVAL;
	if (k->field == MIGRACE_KEY_FLUSH && strcmp(window, MIGRACE_FLUSH_WINDOW))
		return -EINVAL;
	if (k->field == MIGRACE_KEY_UNTIL && strcmp(window, MIGRACE_UNTIL_WINDOW))
		return -EINVAL;
	if (parse_key_value(k, eq + 1, &v))
		return -EINVAL;
	err = set_key(p, k->field, v, max_delay_ns);
	if (err)
		return err;
	if (k->field == MIGRACE_KEY_DELAY || k->field == MIGRACE_KEY_MIN ||
	    k->field == MIGRACE_KEY_MAX)
		*range_tok = tok;
	return 0;
}

/* arm WINDOW [count|delay|rendezvous] [KEY=VALUE]... */
static int parse_arm(char **cur, const char *verb, struct migrace_cmd *cmd,
		     u32 max_delay_ns, const char **bad)
{
	enum migrace_policy_kind kind = MIGRACE_POLICY_DELAY;
	const char *range_tok = NULL;
	char *tok = next_token(cur);
	int err;

	if (!tok)
		return migrace_bad(bad, verb);
	if (!window_name_ok(tok))
		return migrace_bad(bad, tok);
	strscpy(cmd->window, tok, sizeof(cmd->window));
	tok = next_token(cur);
	if (tok && !parse_policy_word(tok, &kind))
		tok = next_token(cur);
	migrace_policy_default(&cmd->policy, kind);
	for (; tok; tok = next_token(cur)) {
		err = apply_key(tok, cmd->window, &cmd->policy, max_delay_ns,
				&range_tok);
		if (err) {
			*bad = tok;
			return err;
		}
	}
	/* The defaults have min == max, so a setter is always to blame. */
	if (cmd->policy.min_ns > cmd->policy.max_ns)
		return migrace_bad(bad, range_tok);
	cmd->op = MIGRACE_CMD_ARM;
	return 0;
}

/* disarm WINDOW|all */
static int parse_disarm(char **cur, const char *verb, struct migrace_cmd *cmd,
			const char **bad)
{
	char *tok = next_token(cur);

	if (!tok)
		return migrace_bad(bad, verb);
	if (!window_name_ok(tok))
		return migrace_bad(bad, tok);
	if (expect_end(cur, bad))
		return -EINVAL;
	strscpy(cmd->window, tok, sizeof(cmd->window));
	cmd->op = MIGRACE_CMD_DISARM;
	return 0;
}

/* The N of `target pid|tgid|pgid N`: a decimal in 1..PID_MAX_LIMIT-1. */
static int parse_target_id(const char *tok, pid_t *id)
{
	int v;

	if (!isdigit(*tok) || kstrtoint(tok, 10, &v) || v <= 0 ||
	    v >= PID_MAX_LIMIT)
		return -EINVAL;
	*id = v;
	return 0;
}

static int parse_target_arg(const char *tok, struct migrace_target *t)
{
	if (t->kind != MIGRACE_TARGET_COMM)
		return parse_target_id(tok, &t->id);
	/* A longer name could never equal a task's (truncated) comm. */
	if (strscpy(t->comm, tok, sizeof(t->comm)) < 0)
		return -EINVAL;
	return 0;
}

/* pid|tgid|pgid N or comm NAME: @word is the kind, its argument follows. */
static int parse_target_kind(char **cur, const char *word,
			     struct migrace_target *t, const char **bad)
{
	int kind = match_string(migrace_target_words,
				ARRAY_SIZE(migrace_target_words), word);
	char *arg;

	if (kind < 0)
		return migrace_bad(bad, word);
	arg = next_token(cur);
	if (!arg)
		return migrace_bad(bad, word);
	t->kind = kind;
	if (parse_target_arg(arg, t))
		return migrace_bad(bad, arg);
	return 0;
}

/* target pid|tgid|pgid N, target comm NAME, target all, target clear */
static int parse_target(char **cur, const char *verb, struct migrace_cmd *cmd,
			const char **bad)
{
	enum migrace_cmd_op op = MIGRACE_CMD_TARGET;
	char *tok = next_token(cur);

	if (!tok)
		return migrace_bad(bad, verb);
	if (!strcmp(tok, "all"))
		op = MIGRACE_CMD_TARGET_ALL;
	else if (!strcmp(tok, "clear"))
		op = MIGRACE_CMD_TARGET_CLEAR;
	else if (parse_target_kind(cur, tok, &cmd->target, bad))
		return -EINVAL;
	if (expect_end(cur, bad))
		return -EINVAL;
	cmd->op = op;
	return 0;
}

int migrace_cmd_parse(char *line, struct migrace_cmd *cmd, u32 max_delay_ns,
		      const char **bad)
{
	char *cur = line;
	char *verb;

	memset(cmd, 0, sizeof(*cmd));
	cmd->op = MIGRACE_CMD_NONE;
	*bad = NULL;
	verb = next_token(&cur);
	if (!verb || verb[0] == '#')
		return 0;
	if (!strcmp(verb, "arm"))
		return parse_arm(&cur, verb, cmd, max_delay_ns, bad);
	if (!strcmp(verb, "disarm"))
		return parse_disarm(&cur, verb, cmd, bad);
	if (!strcmp(verb, "target"))
		return parse_target(&cur, verb, cmd, bad);
	if (!strcmp(verb, "reset")) {
		if (expect_end(&cur, bad))
			return -EINVAL;
		cmd->op = MIGRACE_CMD_RESET;
		return 0;
	}
	return migrace_bad(bad, verb);
}

MIGRACE_EXPORT_FOR_TEST(migrace_cmd_parse);
