#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-options.sh SRCDIR CXLDCD CXLDCD-CTL CXLDCD-HOST CXLDCD-MCTP-RUN CXLDCD-DEMO
#
# Every option a program takes is documented, and every option the
# documentation names exists.  The options come from two places: each
# program's --help (for cxldcd-ctl, each command's too) and its option table
# in the source (the daemon's options[] in src/server/cmdline.c, the tools'
# struct option tables and cxldcd-ctl's event_args, cxldcd-mctp-run's
# strcmp()s).  Each one must be named on the program's page in docs/
# (cxldcd-ctl: in the command's section of docs/ctl.md), in its man page and
# in the bash completion (cxldcd-ctl: in the command's case).  The other
# way round, the options the man pages define (their option lines), the
# completion offers, and cmdline.md's and host.md's option headings and rows
# name must be real.  The properties of -device cxl-type3 and -object are in
# cmdline.md's tables, every QMP command in qmp.md; cxldcd-demo's --help options in its man page, and it
# refuses any other argument.  Prints one line per problem and exits 1 if
# there is any.
set -u
src=$1 cxldcd=$2 ctl=$3 host=$4 mctprun=$5 demo=$6
fail=0
problem() { echo "check-options: $*"; fail=1; }

# words TEXT-FILE...: the option words (-x, --x) of some text, one a line.
# Single-dash words count only for the programs that have them (the caller
# filters); a word starts after a blank or one of ( [ | , * ` = and is
# letters, digits and dashes.
words() { grep -ohE '(^|[][ (|,*`=])--?[A-Za-z][A-Za-z0-9-]*' "$@" | sed -E 's/^[^-]*//' | sort -u; }

# named WORD FILE...: WORD appears in FILE(s) as a whole option word, with one
# dash or two (the daemon takes both: "-qmp" and "--qmp" are one option).
# Each file is read once (the check runs thousands of these; a grep each made
# it take a minute on a loaded machine).
declare -A text_of
named() {
	local bare=${1#-} f re
	bare=${bare#-}
	re="[^A-Za-z0-9-]--?${bare}([^A-Za-z0-9-])"
	for f in "${@:2}"; do
		[[ -v text_of[$f] ]] || text_of[$f]=$'\n'$(<"$f")$'\n'
		[[ ${text_of[$f]} =~ $re ]] && return 0
	done
	return 1
}

# listed WORD FILE: FILE has WORD as a whole line (grep -qxF, from the cache).
listed() {
	[[ -v text_of[$2] ]] || text_of[$2]=$'\n'$(<"$2")$'\n'
	[[ ${text_of[$2]} == *$'\n'"$1"$'\n'* ]]
}

# completion FUNC: the text of one function of the completion script.
# compgen's and compopt's own flags (-W, -f, -o) are left out.
completion() {
	sed -n "/^$1()/,/^}/p" "$src/completion/cxldcd.bash" |
		sed -E 's/(compgen|compopt)( -[A-Za-z]+( [a-z]+)?)+//g'
}

# ctl_case CMD: the text of CMD's case in _cxldcd_ctl, up to its ';;'.
ctl_case() { completion _cxldcd_ctl | sed -n "/^\t$1)/,/;;/p"; }

# ctl_section CMD: CMD's section of docs/ctl.md (its ### heading to the next).
ctl_section() {
	awk -v c="$1" '
		/^### / { on = 0; n = split($0, w, /[ ,`]+/); for (i = 2; i <= n; i++) if (w[i] == c) on = 1 }
		on' "$src/docs/ctl.md"
}

# opts_of HELP: the options of one cxldcd-ctl command's --help: the words of
# its usage lines (up to the first blank line) and of the lines that start
# with an option (the prose mentions other commands' options too).
opts_of() {
	{ sed -n '1,/^$/p' "$1"; grep -E '^\s+--' "$1"; } >"$1.opts"
	words "$1.opts" | grep -E -- '^--[a-z]' | sort -u
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- cxldcd -----------------------------------------------------------------
"$cxldcd" --help >"$tmp/cxldcd.help" || problem "cxldcd --help failed"
sed -n '/^} options\[\] = {/,/^};/p' "$src/src/server/cmdline.c" |
	grep -oE '\{ "[A-Za-z-]+"' | sed -E 's/\{ "(.)"/-\1/; s/\{ "(..+)"/--\1/' >"$tmp/cxldcd.src"
[ -s "$tmp/cxldcd.src" ] || problem "no option table found in src/server/cmdline.c"
completion _cxldcd >"$tmp/cxldcd.comp"
{ cat "$tmp/cxldcd.src"; words "$tmp/cxldcd.help"; } | sort -u >"$tmp/cxldcd.all"
while read -r o; do
	named "$o" "$tmp/cxldcd.help" || problem "cxldcd $o: not in cxldcd --help"
	named "$o" "$src/docs/cmdline.md" || problem "cxldcd $o: not in docs/cmdline.md"
	named "$o" "$src/docs/man/cxldcd.1.scd" || problem "cxldcd $o: not in docs/man/cxldcd.1.scd"
	# The one-letter aliases (-M, -h, -V) are not offered, their long forms are.
	[ ${#o} -eq 2 ] || named "$o" "$tmp/cxldcd.comp" || problem "cxldcd $o: not offered by the completion (_cxldcd)"
done <"$tmp/cxldcd.src"
while read -r o; do
	named "$o" "$tmp/cxldcd.all" || problem "cxldcd $o: named by the man page, cmdline.md or the completion, but cxldcd has no such option"
done < <(
	{ grep -E '^\*-' "$src/docs/man/cxldcd.1.scd" | grep -oE '\*--?[A-Za-z][A-Za-z0-9-]*\*' | tr -d '*'
	  grep -E '^#+ `-' "$src/docs/cmdline.md" | grep -oE '`--?[A-Za-z][A-Za-z0-9-]*' | tr -d '`'
	  words "$tmp/cxldcd.comp"; } | sort -u)

# The properties of -device cxl-type3 (dev_props[], ignored_props[]) and of
# -object (the pdef tables) are in cmdline.md's tables (`name`); the device's
# own ones in the man page too.
objdev=$src/src/server/cmdline-objdev.c
grep -oE 'DP\("[a-z-]+"' "$objdev" | grep -oE '[a-z-]+"' | tr -d '"' >"$tmp/dev.props"
sed -n '/ignored_props\[\] = {/,/^};/p' "$objdev" | grep -oE '"[a-z_-]+"' | tr -d '"' >"$tmp/dev.ignored"
# the out-of-tree series' properties (oot_props[]) are in its tables too
sed -n '/oot_props\[\] = {/,/^};/p' "$objdev" | grep -oE '\{ "[a-z_-]+"' | grep -oE '"[a-z_-]+"' | tr -d '"' >>"$tmp/dev.ignored"
grep -oE '\{ "[a-z-]+", P_[A-Z0-9]+ \}' "$objdev" | grep -oE '"[a-z-]+"' | tr -d '"' >"$tmp/obj.props"
[ -s "$tmp/dev.props" ] && [ -s "$tmp/dev.ignored" ] && [ -s "$tmp/obj.props" ] ||
	problem "no property tables found in src/server/cmdline-objdev.c"
for p in $(cat "$tmp/dev.props" "$tmp/dev.ignored" "$tmp/obj.props"); do
	grep -qF "\`$p\`" "$src/docs/cmdline.md" || problem "cxldcd property $p: not in docs/cmdline.md"
done
for p in $(cat "$tmp/dev.props"); do
	grep -qE "(^|[^A-Za-z0-9_-])$p([^A-Za-z0-9_-]|\$)" "$src/docs/man/cxldcd.1.scd" ||
		problem "cxldcd -device property $p: not in docs/man/cxldcd.1.scd"
done

# Every QMP command the daemon registers (a { .name = ..., .fn = ... } row)
# is in docs/qmp.md.
grep -ohE '\.name = "[a-z_-]+", \.fn =' "$src"/src/server/*.c "$src"/src/qmp/*.c |
	grep -oE '"[a-z_-]+"' | tr -d '"' | sort -u >"$tmp/qmp.cmds"
[ -s "$tmp/qmp.cmds" ] || problem "no QMP command table found in src/server or src/qmp"
for q in $(cat "$tmp/qmp.cmds"); do
	grep -qE "\`$q[\` ]|\"$q\"" "$src/docs/qmp.md" || problem "QMP command $q: not in docs/qmp.md"
done

# ---- cxldcd-ctl ---------------------------------------------------------------
"$ctl" --help >"$tmp/ctl.help" || problem "cxldcd-ctl --help failed"
sed -n '/^Commands:/,/^$/p' "$tmp/ctl.help" | grep -oE '^  [a-z][a-z-]*' | tr -d ' ' >"$tmp/ctl.cmds"
[ -s "$tmp/ctl.cmds" ] || problem "no commands in cxldcd-ctl --help"
{ grep -ohE '\{ "[a-z][a-z-]*", (no|required)_argument' "$src"/tools/cxldcd-ctl/*.c
  grep -ohE '^\s*\{ "[a-z][a-z-]*", (NULL|"[a-z-]*"), A_[A-Z]+ \}' "$src/tools/cxldcd-ctl/cmd-event.c"; } |
	sed -E 's/^\s*\{ "([a-z-]+)".*/--\1/' | sort -u >"$tmp/ctl.src"
completion _cxldcd_ctl >"$tmp/ctl.comp"
sed -n '/^Global options/,$p' "$tmp/ctl.help" >"$tmp/ctl.global.help"
words "$tmp/ctl.global.help" | grep -- '^--' >"$tmp/ctl.global"
for o in $(cat "$tmp/ctl.global"); do
	named "$o" "$src/docs/ctl.md" || problem "cxldcd-ctl $o: not in docs/ctl.md"
done
for c in $(cat "$tmp/ctl.cmds"); do
	[ "$c" = help ] && continue
	if ! "$ctl" "$c" --help >"$tmp/ctl.$c.help"; then
		problem "cxldcd-ctl $c --help failed"
		continue
	fi
	ctl_section "$c" >"$tmp/ctl.$c.doc"
	[ -s "$tmp/ctl.$c.doc" ] || problem "cxldcd-ctl $c: no ### section in docs/ctl.md"
	grep -E '^\*' "$src/docs/man/cxldcd-ctl.1.scd" | grep -qF "*$c*" ||
		problem "cxldcd-ctl $c: no entry in docs/man/cxldcd-ctl.1.scd"
	grep -qE "(^|[[:space:]\"])$c([[:space:]\"]|\$)" <(sed -n '/local cmds=/,/"$/p' "$tmp/ctl.comp") ||
		problem "cxldcd-ctl $c: not in the completion's command list"
	ctl_case "$c" >"$tmp/ctl.$c.comp"
	# inject-event takes every event argument; its --help names some of them.
	if [ "$c" = inject-event ]; then
		{ opts_of "$tmp/ctl.$c.help"
		  grep -ohE '^\s*\{ "[a-z][a-z-]*", (NULL|"[a-z-]*"), A_' "$src/tools/cxldcd-ctl/cmd-event.c" |
			sed -E 's/^\s*\{ "([a-z-]+)".*/--\1/'; } | sort -u >"$tmp/ctl.$c.opts"
	else
		opts_of "$tmp/ctl.$c.help" >"$tmp/ctl.$c.opts"
	fi
	for o in $(cat "$tmp/ctl.$c.opts"); do
		listed "$o" "$tmp/ctl.global" && continue
		listed "$o" "$tmp/ctl.src" || problem "cxldcd-ctl $c $o: in its --help, but no option table has it"
		named "$o" "$tmp/ctl.$c.doc" || problem "cxldcd-ctl $c $o: not in its section of docs/ctl.md"
		named "$o" "$src/docs/man/cxldcd-ctl.1.scd" || problem "cxldcd-ctl $c $o: not in docs/man/cxldcd-ctl.1.scd"
		named "$o" "$tmp/ctl.$c.comp" || problem "cxldcd-ctl $c $o: not offered by the completion ($c case)"
	done
done
cat "$tmp"/ctl.*.opts >"$tmp/ctl.opts.all"
for o in $(cat "$tmp/ctl.src"); do
	listed "$o" "$tmp/ctl.global" && continue
	listed "$o" "$tmp/ctl.opts.all" || problem "cxldcd-ctl $o: in an option table, but no command's --help names it"
done
# short_opts FILE: the one-letter options of FILE's getopt_long() strings, as -x
short_opts() {
	grep -ohE 'getopt_long\(argc, argv, "[^"]*"' "$1" | sed -E 's/.*"([^"]*)"/\1/' |
		tr -d '+:' | grep -oE '[A-Za-z]' | sed 's/^/-/'
}
{ cat "$tmp/ctl.src" "$tmp/ctl.global"; echo --version; short_opts "$src/tools/cxldcd-ctl/main.c"; } |
	sort -u >"$tmp/ctl.all"
while read -r o; do
	listed "$o" "$tmp/ctl.all" || problem "cxldcd-ctl $o: named by the man page or the completion, but cxldcd-ctl has no such option"
done < <({ grep -E '^\*-' "$src/docs/man/cxldcd-ctl.1.scd" | grep -oE '\*--?[a-z][a-z-]*\*' | tr -d '*'
	   words "$tmp/ctl.comp" | grep -- '^--'; } | sort -u)

# ---- cxldcd-host --------------------------------------------------------------
"$host" --help >"$tmp/host.help" || problem "cxldcd-host --help failed"
grep -ohE '\{ "[a-z][a-z-]*", (no|required)_argument' "$src/tools/cxldcd-host/cxldcd-host.c" |
	sed -E 's/\{ "([a-z-]+)".*/--\1/' | sort -u >"$tmp/host.src"
[ -s "$tmp/host.src" ] || problem "no option table found in tools/cxldcd-host/cxldcd-host.c"
completion _cxldcd_host >"$tmp/host.comp"
{ cat "$tmp/host.src"; words "$tmp/host.help" | grep -- '^--'; short_opts "$src/tools/cxldcd-host/cxldcd-host.c"; } |
	sort -u >"$tmp/host.all"
while read -r o; do
	if [[ $o == -* ]]; then
		named "$o" "$tmp/host.help" || problem "cxldcd-host $o: not in cxldcd-host --help"
		named "$o" "$src/docs/host.md" || problem "cxldcd-host $o: not in docs/host.md"
		named "$o" "$src/docs/man/cxldcd-host.1.scd" || problem "cxldcd-host $o: not in docs/man/cxldcd-host.1.scd"
	else
		grep -qw -- "$o" "$tmp/host.help" || problem "cxldcd-host $o: not in cxldcd-host --help"
		grep -qw -- "$o" "$src/docs/host.md" || problem "cxldcd-host $o: not in docs/host.md"
		grep -qw -- "$o" "$src/docs/man/cxldcd-host.1.scd" || problem "cxldcd-host $o: not in docs/man/cxldcd-host.1.scd"
	fi
	# The one-letter aliases (-h, -V) are not offered, their long forms are.
	[[ $o == -? ]] || grep -qE -- "(^|[[:space:]\"])$o([[:space:]\"]|\$)" "$tmp/host.comp" ||
		problem "cxldcd-host $o: not offered by the completion (_cxldcd_host)"
done < <({ cat "$tmp/host.all"; echo list; echo fill; echo verify; echo static-fill; echo static-verify; })
while read -r o; do
	listed "$o" "$tmp/host.all" || problem "cxldcd-host $o: named by the docs or the completion, but cxldcd-host has no such option"
done < <({ grep -E '^\*-' "$src/docs/man/cxldcd-host.1.scd" | grep -oE '\*--?[a-z][a-z-]*\*' | tr -d '*'
	   grep -oE '^\| `--?[a-z][a-z-]*' "$src/docs/host.md" | tr -d '|` '
	   words "$tmp/host.comp"; } | sort -u)

# ---- cxldcd-mctp-run ----------------------------------------------------------
"$mctprun" --help >"$tmp/mctprun.help" || problem "cxldcd-mctp-run --help failed"
grep -ohE 'strcmp\(argv\[i\], "--?[a-z][a-z-]*"\)' "$src/tools/cxldcd-mctp-run/run.c" |
	grep -oE '"[^"]+"' | tr -d '"' | sort -u >"$tmp/mctprun.src"
[ -s "$tmp/mctprun.src" ] || problem "no options found in tools/cxldcd-mctp-run/run.c"
completion _cxldcd_mctp_run >"$tmp/mctprun.comp"
{ cat "$tmp/mctprun.src"; words "$tmp/mctprun.help" | grep -- '^--'; } | sort -u >"$tmp/mctprun.all"
while read -r o; do
	grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$tmp/mctprun.help" || problem "cxldcd-mctp-run $o: not in its --help"
	grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$src/docs/mctp.md" || problem "cxldcd-mctp-run $o: not in docs/mctp.md"
	grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$src/docs/man/cxldcd-mctp-run.1.scd" ||
		problem "cxldcd-mctp-run $o: not in docs/man/cxldcd-mctp-run.1.scd"
	[[ $o == --* ]] && ! grep -qE -- "(^|[[:space:]\"])$o([[:space:]\"]|\$)" "$tmp/mctprun.comp" &&
		problem "cxldcd-mctp-run $o: not offered by the completion (_cxldcd_mctp_run)"
done <"$tmp/mctprun.all"
while read -r o; do
	listed "$o" "$tmp/mctprun.all" || problem "cxldcd-mctp-run $o: named by the completion, but cxldcd-mctp-run has no such option"
done < <(words "$tmp/mctprun.comp" | grep -- '^--.')

# ---- cxldcd-demo --------------------------------------------------------------
# It takes no arguments but --help and --version: those are in its man page,
# and anything else is refused rather than running the demo.
"$demo" --help >"$tmp/demo.help" || problem "cxldcd-demo --help failed"
for o in $(words "$tmp/demo.help" | grep -- '^--'); do
	named "$o" "$src/docs/man/cxldcd-demo.1.scd" || problem "cxldcd-demo $o: not in docs/man/cxldcd-demo.1.scd"
done
"$demo" --no-such-option >/dev/null 2>&1 && problem "cxldcd-demo --no-such-option: not refused"

[ $fail -eq 0 ] && echo "check-options: every option is documented, and every documented option exists"
exit $fail
