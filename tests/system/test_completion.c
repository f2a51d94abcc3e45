// SPDX-License-Identifier: Apache-2.0
/*
 * The bash completion scripts (dist/bash-completion, or
 * $VESSEL_COMPLETION_DIR): each loads under `set -e` with bash-completion's
 * helpers and says nothing on stderr; then a completion is simulated the
 * way readline calls it (COMP_LINE split into COMP_WORDS at blanks and at
 * COMP_WORDBREAKS such as '=' and ':'; the function called; COMPREPLY
 * printed: what replaces the text after the last of those) and the offers are
 * compared as sets: every option of `vessel --help` for `vessel --`, the
 * values of every choice and list key of conf_keys[] (the table vessel
 * checks values against), file names for paths and @guest files,
 * vesselctl's commands, sockets for --vm, and guest and region names
 * from a real vesseld running a real vessel; nothing, quietly, where no
 * vesseld listens.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/conf.h"
#include "../lib/vdrun.h"
#include "../lib/vmproc.h"

#define BASH "/bin/bash"
#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"
#define SCRIPT_DIR "dist/bash-completion"
#define BASH_MS 30000
#define OFFER_MAX 64
#define LINE_MAX_LEN 512

/*
 * $1 script, $2 function, $3 the command line up to the cursor. Prints
 * COMPREPLY a line each, then "#nospace" and "#filenames" if the function
 * asked for them (readline: no blank after the word; quote it as a file
 * name and append '/' to a directory).
 */
static const char harness[] =
	"set -e\n"
	". " BASH_COMPLETION "\n"
	". \"$1\"\n"
	"set +e\n"
	/* compopt acts on the completion readline has in progress; outside
	 * one it fails, so what the function asks for is recorded instead. */
	"compopt() { local IFS=' '; COMPOPT+=\" $*\"; }\n"
	"COMPOPT='' func=$2 COMP_LINE=$3 COMP_POINT=${#3}\n"
	/* readline's split: at blanks, and a run of COMP_WORDBREAKS
	 * characters (such as '=', ':') is a word of its own */
	"brk=${COMP_WORDBREAKS//[$' \\t\\n\\\"\\'']/}\n"
	"COMP_WORDS=() w='' wk=''\n"
	"for ((i = 0; i < ${#COMP_LINE}; i++)); do\n"
	"  c=${COMP_LINE:i:1}\n"
	"  case $c in\n"
	"  ' ') [[ $w ]] && COMP_WORDS+=(\"$w\"); w='' wk=''; continue ;;\n"
	"  *) [[ $brk == *\"$c\"* ]] && k=b || k=n ;;\n"
	"  esac\n"
	"  [[ $w && $k != \"$wk\" ]] && COMP_WORDS+=(\"$w\") && w=''\n"
	"  w+=$c wk=$k\n"
	"done\n"
	"COMP_WORDS+=(\"$w\")\n"
	"COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
	"\"$func\" \"${COMP_WORDS[0]}\" \"${COMP_WORDS[COMP_CWORD]}\" "
	"\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
	"((${#COMPREPLY[@]})) && printf '%s\\n' \"${COMPREPLY[@]}\"\n"
	"[[ $COMPOPT == *'-o nospace'* ]] && echo '#nospace'\n"
	"[[ $COMPOPT == *'-o filenames'* ]] && echo '#filenames'\n"
	"exit 0\n";

struct compl_test {
	char dir[64]; /* $TMPDIR/vessel-compl-XXXXXX: bin/, files/ */
	char bin[96]; /* dir/bin: vessel and vesselctl, first on PATH */
	char files[96]; /* dir/files: what the path tests complete */
	char old_path[4096];
	struct vdrun *vd; /* test_vesselctl_guests' vesseld */
};

struct offers {
	char *w[OFFER_MAX];
	int n;
	bool nospace, filenames;
};

static const char *script_dir(void)
{
	const char *d = getenv("VESSEL_COMPLETION_DIR");

	return d && *d ? d : SCRIPT_DIR;
}

static void make_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static void make_link(struct compl_test *t, const char *target,
		      const char *name)
{
	char abs[PATH_MAX], path[PATH_MAX + 16];

	assert_non_null(realpath(target, abs));
	snprintf(path, sizeof(path), "%s/%s", t->bin, name);
	assert_int_equal(symlink(abs, path), 0);
}

/* The tests complete `vessel` and `vesselctl` as a user types them. */
static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR"), *path = getenv("PATH");
	struct compl_test *t = calloc(1, sizeof(*t));
	char newpath[sizeof(t->old_path) + PATH_MAX];

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/vessel-compl-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->bin, sizeof(t->bin), "%s/bin", t->dir);
	snprintf(t->files, sizeof(t->files), "%s/files", t->dir);
	if (mkdir(t->bin, 0755) || mkdir(t->files, 0755))
		return -1;
	make_link(t, vessel_path(), "vessel");
	make_link(t, vesselctl_path(), "vesselctl");
	snprintf(t->old_path, sizeof(t->old_path), "%s", path ? path : "");
	snprintf(newpath, sizeof(newpath), "%s:%s", t->bin, t->old_path);
	setenv("PATH", newpath, 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct compl_test *t = *state;
	char cmd[128];

	if (t->vd)
		vdrun_delete(t->vd);
	setenv("PATH", t->old_path, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "teardown: %s failed\n", cmd);
	free(t);
	return 0;
}

/* Run bash on @argv (after "bash"), to its exit; the exit code. */
static int run_bash(struct vmproc *p, const char *const argv[])
{
	const char *full[16] = { BASH, "--norc", "--noprofile" };
	int i;

	for (i = 0; argv[i]; i++)
		full[3 + i] = argv[i];
	assert_int_equal(vmproc_start(p, full), 0);
	return vmproc_wait_exit(p, BASH_MS);
}

static void offers_free(struct offers *o)
{
	while (o->n)
		free(o->w[--o->n]);
}

/* Complete @line (up to the cursor) with @cmd's script; the offers. */
static void complete(const char *cmd, const char *line, struct offers *o)
{
	char script[PATH_MAX], func[64], *save, *tok;
	const char *argv[] = {
		"-c", harness, "bash", script, func, line, NULL
	};
	struct vmproc p;
	int rc;

	snprintf(script, sizeof(script), "%s/%s", script_dir(), cmd);
	snprintf(func, sizeof(func), "_%s", cmd);
	memset(o, 0, sizeof(*o));
	rc = run_bash(&p, argv);
	if (rc != 0 || p.err_len) {
		fprintf(stderr, "completing [%s]:\n", line);
		vmproc_dump(&p);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(p.err_len, 0);
	for (tok = strtok_r(p.out, "\n", &save); tok;
	     tok = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(tok, "#nospace") || !strcmp(tok, "#filenames")) {
			*(tok[1] == 'n' ? &o->nospace : &o->filenames) = true;
			continue;
		}
		assert_true(o->n < OFFER_MAX);
		o->w[o->n++] = strdup(tok);
	}
	vmproc_free(&p);
}

static bool offers_have(const struct offers *o, const char *w)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->w[i], w))
			return true;
	return false;
}

static void offers_print(const char *line, const struct offers *o,
			 const char *want)
{
	int i;

	fprintf(stderr, "completing [%s]: want {%s}, got {", line, want);
	for (i = 0; i < o->n; i++)
		fprintf(stderr, "%s%s", i ? " " : "", o->w[i]);
	fprintf(stderr, "}\n");
}

/* @line completes to exactly the blank-separated words of @want. */
static void expect_flagged_offers(const char *cmd, const char *line,
				  const char *want, bool filenames)
{
	char copy[LINE_MAX_LEN * 4], *save, *tok;
	struct offers o;
	int n = 0;
	bool ok = true;

	complete(cmd, line, &o);
	snprintf(copy, sizeof(copy), "%s", want);
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), n++)
		ok = ok && offers_have(&o, tok);
	ok = ok && n == o.n && o.filenames == filenames;
	if (!ok)
		offers_print(line, &o, want);
	offers_free(&o);
	assert_true(ok);
}

static void expect_offers(const char *cmd, const char *line, const char *want)
{
	expect_flagged_offers(cmd, line, want, false);
}

/* File names: readline is to quote them and mark the directories. */
static void expect_file_offers(const char *cmd, const char *line,
			       const char *want)
{
	expect_flagged_offers(cmd, line, want, true);
}

static void expect_loads(const char *cmd)
{
	char script[PATH_MAX], check[128];
	const char *argv[] = { "-c",   "set -e; . \"$1\"; . \"$2\"; $3",
			       "bash", BASH_COMPLETION,
			       script, check,
			       NULL };
	struct vmproc p;
	int rc;

	snprintf(script, sizeof(script), "%s/%s", script_dir(), cmd);
	snprintf(check, sizeof(check), "complete -p %s", cmd);
	rc = run_bash(&p, argv);
	if (rc != 0 || p.err_len || !strstr(p.out, "-F _"))
		vmproc_dump(&p);
	assert_int_equal(rc, 0);
	assert_int_equal(p.err_len, 0);
	assert_non_null(strstr(p.out, "-F _"));
	vmproc_free(&p);
}

static void test_scripts_load(void **state)
{
	(void)state;
	expect_loads("vessel");
	expect_loads("vesselctl");
}

/* The options `vessel --help` lists ("  --key ARG  text"), blank-separated. */
static void help_options(char *out, size_t len)
{
	const char *argv[] = { vessel_path(), "--help", NULL };
	char *save, *line, *end;
	struct vmproc p;
	size_t at = 0;

	assert_int_equal(vmproc_start(&p, argv), 0);
	assert_int_equal(vmproc_wait_exit(&p, BASH_MS), 0);
	out[0] = '\0';
	for (line = strtok_r(p.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  --", 4))
			continue;
		end = strchr(line + 2, ' ');
		if (end)
			*end = '\0';
		at += (size_t)snprintf(out + at, len - at, "%s ", line + 2);
		assert_true(at < len);
	}
	vmproc_free(&p);
}

static void test_vessel_options(void **state)
{
	char opts[LINE_MAX_LEN * 4];

	(void)state;
	expect_offers("vessel", "vessel --me", "--mem");
	expect_offers("vessel", "vessel --power-button-t",
		      "--power-button-timeout");
	help_options(opts, sizeof(opts));
	assert_non_null(strstr(opts, "--seccomp "));
	expect_offers("vessel", "vessel --", opts);
}

/* "model=a|b,action=*": the keys ("model action"), or one key's values. */
static void list_part(const char *choices, const char *key, char *out,
		      size_t len)
{
	char copy[LINE_MAX_LEN], *save, *item, *eq, *v;
	size_t at = 0;

	snprintf(copy, sizeof(copy), "%s", choices);
	out[0] = '\0';
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		assert_non_null(eq);
		*eq = '\0';
		if (!key) {
			at += (size_t)snprintf(out + at, len - at, "%s ", item);
			continue;
		}
		if (strcmp(item, key) || !strcmp(eq + 1, "*"))
			continue;
		for (v = eq + 1; *v; v++)
			out[at++] = *v == '|' ? ' ' : *v;
		out[at] = '\0';
	}
}

/* Keys are offered as "path=" (a value follows) or "readonly" (a flag). */
static void expect_list_keys(const struct conf_key *k)
{
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN], *save, *tok;
	struct offers o;
	int n = 0, i;
	bool ok = true;

	snprintf(line, sizeof(line), "vessel --%s ", k->key);
	list_part(k->choices, NULL, want, sizeof(want));
	complete("vessel", line, &o);
	for (i = 0; i < o.n; i++)
		o.w[i][strcspn(o.w[i], "=")] = '\0';
	for (tok = strtok_r(want, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), n++)
		ok = ok && offers_have(&o, tok);
	ok = ok && n == o.n && o.nospace;
	if (!ok)
		offers_print(line, &o, k->choices);
	offers_free(&o);
	assert_true(ok);
}

static void expect_list_values(const struct conf_key *k)
{
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN], keys[LINE_MAX_LEN];
	char *save, *key;

	list_part(k->choices, NULL, keys, sizeof(keys));
	for (key = strtok_r(keys, " ", &save); key;
	     key = strtok_r(NULL, " ", &save)) {
		list_part(k->choices, key, want, sizeof(want));
		if (!*want)
			continue;
		/* bash hands over only what follows the '=' */
		snprintf(line, sizeof(line), "vessel --%s %s=", k->key, key);
		expect_offers("vessel", line, want);
	}
}

/* Every finite value conf_keys[] knows, as vessel's parser knows it. */
static void test_vessel_values(void **state)
{
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN], *c;
	const struct conf_key *k;
	int checked = 0;

	(void)state;
	expect_offers("vessel", "vessel --seccomp ", "on log off");
	expect_offers("vessel", "vessel --seccomp=l", "log");
	expect_offers("vessel", "vessel --disk path=/x,readonly=", "on off");
	for (k = conf_keys; k->key; k++, checked++) {
		if (k->kind == CONF_CHOICE) {
			snprintf(want, sizeof(want), "%s", k->choices);
			for (c = want; *c; c++)
				*c = *c == '|' ? ' ' : *c;
			snprintf(line, sizeof(line), "vessel --%s ", k->key);
			expect_offers("vessel", line, want);
		} else if (k->kind == CONF_LIST) {
			expect_list_keys(k);
			expect_list_values(k);
		} else {
			checked--;
		}
	}
	assert_true(checked >= 7);
}

static void test_vessel_files(void **state)
{
	struct compl_test *t = *state;
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN * 2], sub[PATH_MAX + 8];
	const char *f = t->files;

	make_file(f, "a.conf");
	make_file(f, "bzImage");
	snprintf(sub, sizeof(sub), "%s/sub", f);
	assert_int_equal(mkdir(sub, 0755), 0);

	snprintf(line, sizeof(line), "vessel --kernel %s/", f);
	snprintf(want, sizeof(want), "%s/a.conf %s/bzImage %s/sub", f, f, f);
	expect_file_offers("vessel", line, want);
	/* @guest files: the *.conf ones and the directories (bash_completion
	 * takes '@' out of COMP_WORDBREAKS, so the '@' stays in the word) */
	snprintf(line, sizeof(line), "vessel --mem 64M @%s/", f);
	snprintf(want, sizeof(want), "@%s/a.conf @%s/sub/", f, f);
	expect_offers("vessel", line, want);
	/* after "path=" and "unix:", bash replaces what follows them */
	snprintf(line, sizeof(line), "vessel --disk id=x,path=%s/b", f);
	snprintf(want, sizeof(want), "%s/bzImage", f);
	expect_file_offers("vessel", line, want);
	snprintf(line, sizeof(line), "vessel --serial unix:%s/s", f);
	snprintf(want, sizeof(want), "%s/sub", f);
	expect_file_offers("vessel", line, want);
}

static void make_socket(const char *dir, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
}

static void test_vesselctl_commands(void **state)
{
	struct compl_test *t = *state;
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN * 2];
	const char *f = t->files;

	expect_offers("vesselctl", "vesselctl st", "start status stop");
	expect_offers("vesselctl", "vesselctl --json re", "restart reload");
	expect_offers("vesselctl", "vesselctl --vm /x/ctl ",
		      "power-button terminate power-cut pause resume request "
		      "status events shmem");
	expect_offers("vesselctl", "vesselctl --vm /x/ctl request ",
		      "poweroff reboot");
	expect_offers("vesselctl", "vesselctl shmem ", "list dump ring");
	expect_offers("vesselctl", "vesselctl events --f", "--follow");

	make_socket(f, "ctl.sock");
	make_file(f, "ctl.log");
	snprintf(line, sizeof(line), "mkdir -p %s/run", f);
	assert_int_equal(system(line), 0);
	snprintf(line, sizeof(line), "vesselctl --vm %s/", f);
	snprintf(want, sizeof(want), "%s/ctl.sock %s/run", f, f);
	expect_file_offers("vesselctl", line, want);
	snprintf(line, sizeof(line), "vesselctl --daemon=%s/c", f);
	snprintf(want, sizeof(want), "%s/ctl.sock", f);
	expect_file_offers("vesselctl", line, want);
	/* no vesseld there: nothing, and not a word on the terminal */
	snprintf(line, sizeof(line), "vesselctl --daemon %s/ctl.sock start ",
		 f);
	expect_offers("vesselctl", line, "");
}

static int vd_setup(void **state)
{
	struct compl_test *t;

	if (setup(state))
		return -1;
	t = *state;
	t->vd = vdrun_new("compl", VDRUN_SHM_DIR);
	return t->vd ? 0 : -1;
}

/* Each offer a peer id, 0 to 15; at least one. */
static void expect_peer_ids(const char *line)
{
	struct offers o;
	int i;

	complete("vesselctl", line, &o);
	if (!o.n)
		offers_print(line, &o, "peer ids");
	assert_true(o.n >= 1);
	for (i = 0; i < o.n; i++) {
		assert_int_equal(strspn(o.w[i], "0123456789"), strlen(o.w[i]));
		assert_true(atoi(o.w[i]) < 16);
	}
	offers_free(&o);
}

/*
 * vesseld knows alpha (up, with a shared-memory region ring0) and beta
 * (not started): both are guest names to complete; ring0 is a region.
 */
static void test_vesselctl_guests(void **state)
{
	struct compl_test *t = *state;
	struct vdrun *r = t->vd;
	char line[LINE_MAX_LEN];

	vdrun_guest_file(r, "alpha", "power-button",
			 "shmem model=qnx,name=ring0,size=4K\n");
	vdrun_guest_file(r, "beta", "power-button", "autostart no\n");
	vdrun_start(r, NULL);
	vdrun_wait_event(r, "up", "alpha", 1);

	snprintf(line, sizeof(line), "vesselctl --daemon %s start ", r->sock);
	expect_offers("vesselctl", line, "alpha beta");
	snprintf(line, sizeof(line), "vesselctl --daemon %s console a",
		 r->sock);
	expect_offers("vesselctl", line, "alpha");
	snprintf(line, sizeof(line), "vesselctl --json --daemon=%s stop b",
		 r->sock);
	expect_offers("vesselctl", line, "beta");
	/* a command without NAME takes no guest name */
	snprintf(line, sizeof(line), "vesselctl --daemon %s reload ", r->sock);
	expect_offers("vesselctl", line, "");

	expect_offers("vesselctl", "vesselctl shmem dump ", "ring0");
	expect_offers("vesselctl", "vesselctl shmem ring r", "ring0");
	expect_peer_ids("vesselctl shmem ring ring0 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripts_load),
		cmocka_unit_test_setup_teardown(test_vessel_options, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vessel_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vessel_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vesselctl_commands, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vesselctl_guests, vd_setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
