#!/usr/bin/env bash
# Packaging: make install into a temporary prefix (binary, man pages, completion), the
# man pages against each command's -h (both ways, for every command numalens -h lists,
# so a new or changed command without its page fails here), the getopt tables against
# -h, the bash completion driven as bash drives it, make dist, and make deb: lintian
# without errors, installed with dpkg into a throwaway root (never this machine's
# /usr), `numalens topo` run from there, removed again. 30-42 s of CPU, most of it
# lintian, when the static binary is already built (make check builds it).
. "$(dirname "$0")/../lib.sh"
set -u

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT"

# ---- parsers: this test's own reading of -h and of a rendered page ----
# option_tokens: every option name in the option part of each line on stdin (the part
# ends at the first run of two spaces), and "--" for "-- CMD"
option_tokens() {
	awk '{
		l = $0; sub(/^ +/, "", l); sub(/  .*/, "", l)
		n = split(l, w, /[ ,]+/)
		for (i = 1; i <= n; i++) if (w[i] ~ /^--?[A-Za-z0-9]/ || w[i] == "--") print w[i]
	}' | sort -u
}
# the options of a help: its option lines are "-x" or "--xx" indented by 1..8 spaces
help_options() { awk 'match($0, /^ +-/) && RLENGTH <= 9' "$1" | option_tokens; }
# the options of the usage lines (the synopsis): "[--json|--text]" gives --json, --text
usage_options() {
	awk 'NR == 1 || (u && /^ /) { u = 1; print; next } { exit }' "$1" |
		grep -oE -- '(^|[][ (|])--?[A-Za-z0-9][A-Za-z0-9-]*|[[ ]--( |$)' |
		sed -E 's/^[][ (|]//; s/ $//' | sort -u
}
# the tags of the OPTIONS section of a page as man renders it (7 spaces, then a dash)
man_options() {
	MANWIDTH=250 man -l "$1" 2>/dev/null |
		awk '/^[A-Z]/ { sec = $0; next } sec == "OPTIONS" && /^       -/' | option_tokens
}
# same_options NAME HELPFILE PAGE: the page's OPTIONS are exactly the help's options
same_options() {
	local name=$1 diff
	diff=$(comm -3 <(help_options "$2") <(man_options "$3"))
	[ -z "$diff" ] && return 0
	{ echo "$name: options only in -h (left) or only in the man page (right):"; echo "$diff"; } | diag
	return 1
}
# the long and short options the command's getopt_long table accepts (user/cli/CMD.c,
# with NL_REQUEST_LONGOPTS expanded from user/cli/request_opts.h)
getopt_options() {
	local src=user/cli/$1.c
	{
		grep -oE '\{ "[a-z0-9-]+", (no|required|optional)_argument' "$src" | sed -E 's/^\{ "([^"]+)".*/--\1/'
		if grep -q NL_REQUEST_LONGOPTS "$src"; then
			sed -n '/^#define NL_REQUEST_LONGOPTS/,/^$/p' user/cli/request_opts.h |
				grep -oE '\{ "[a-z0-9-]+"' | sed -E 's/^\{ "/--/; s/"$//'
		fi
		grep -oE 'getopt_long\([^"]*"[^"]*"' "$src" | sed -E 's/.*"([^"]*)"$/\1/' |
			tr -d '+:' | grep -oE '[A-Za-z0-9]' | sed 's/^/-/'
	} | sort -u
}

# ---- make install into a temporary prefix ----
prefix=$tmp/prefix
out=$(make -s install PREFIX="$prefix" 2>&1); rc=$?
check "make install PREFIX=$prefix" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || echo "$out" | diag
bin=$prefix/bin/numalens
mandir=$prefix/share/man/man1
"$bin" -h > "$tmp/help" 2>&1
commands=$(awk '/^commands:/ { f = 1; next } f && /^$/ { f = 0 } f && /^  [a-z]/ { print $1 }' "$tmp/help")
check "numalens -h lists commands" [ -n "$commands" ]
echo "commands: $(echo $commands)" | diag

missing=
for f in "$bin" "$mandir/numalens.1" "$prefix/share/bash-completion/completions/numalens"; do
	[ -e "$f" ] || missing="$missing $f"
done
for c in $commands; do [ -f "$mandir/numalens-$c.1" ] || missing="$missing numalens-$c.1"; done
check "installed: binary, numalens.1, a page per command, completion${missing:+ (missing:$missing)}" [ -z "$missing" ]
extra=
for f in "$mandir"/numalens-*.1; do
	c=${f##*/numalens-}; c=${c%.1}
	grep -qx "$c" <<< "$commands" || extra="$extra $c"
done
check "no page for a command numalens does not have${extra:+ (extra:$extra)}" [ -z "$extra" ]

# ---- man pages: render cleanly, and man finds them by name ----
warn=
for f in "$mandir"/*.1; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 > /dev/null)
	[ -z "$w" ] || { warn="$warn ${f##*/}"; echo "$w" | diag; }
done
check "every page renders with man -l without groff warnings${warn:+ (warnings in:$warn)}" [ -z "$warn" ]
check_output "MANPATH=... man numalens-top renders its NAME" '^ +numalens-top +- ' \
	env MANPATH="$prefix/share/man" MANWIDTH=200 man numalens-top
check_output "man -f reads the NAME line (whatis entry) of numalens-doctor" 'numalens-doctor' \
	env MANPATH="$prefix/share/man" MANWIDTH=200 man -f -l "$mandir/numalens-doctor.1"

# ---- the man pages against -h, for numalens and every command ----
same_options numalens "$tmp/help" "$mandir/numalens.1"
check "numalens.1: OPTIONS are exactly numalens -h's options" same_options numalens "$tmp/help" "$mandir/numalens.1"
man_cmds=$(MANWIDTH=250 man -l "$mandir/numalens.1" 2>/dev/null |
	awk '/^[A-Z]/ { sec = $0; next } sec == "COMMANDS" && /^       numalens / { print $2 }' | sort)
check "numalens.1: COMMANDS are exactly numalens -h's commands" [ "$man_cmds" = "$(sort <<< "$commands")" ]
for c in $commands; do
	"$bin" "$c" -h > "$tmp/help-$c" 2>&1
	check "numalens-$c.1: OPTIONS are exactly numalens $c -h's options" \
		same_options "$c" "$tmp/help-$c" "$mandir/numalens-$c.1"
	bad=$(comm -23 <(usage_options "$tmp/help-$c") <(help_options "$tmp/help-$c"))
	check "numalens $c -h: every option of its usage line is explained${bad:+ (not: $(echo $bad))}" [ -z "$bad" ]
	if [ -f "user/cli/$c.c" ]; then
		bad=$(comm -23 <(getopt_options "$c") <(help_options "$tmp/help-$c"))
		check "numalens $c: every option getopt accepts is in -h${bad:+ (not: $(echo $bad))}" [ -z "$bad" ]
	else
		ok "# SKIP numalens $c: no user/cli/$c.c, getopt table not read"
	fi
done

# The comparison fails when either side lacks an option (the check of the check).
sed '/^\.TP$/{N;/\\-\\-threads/d}' "$mandir/numalens-top.1" > "$tmp/top-missing.1"
check_status "an option missing from the page fails the comparison" 1 \
	bash -c "$(declare -f option_tokens help_options man_options same_options diag); same_options top '$tmp/help-top' '$tmp/top-missing.1'"
{ cat "$tmp/help-top"; echo "      --brand-new    an option the page does not have"; } > "$tmp/help-extra"
check_status "an option missing from -h fails the comparison" 1 \
	bash -c "$(declare -f option_tokens help_options man_options same_options diag); same_options top '$tmp/help-extra' '$mandir/numalens-top.1'"
# A command whose page is not written stops the man pages from being made.
mkdir -p "$tmp/mansrc" && cp man/*.1.in "$tmp/mansrc/" && rm "$tmp/mansrc/numalens-top.1.in"
check_output "gen-man refuses a command without its man/numalens-COMMAND.1.in" \
	"command 'top' has no page: write .*numalens-top.1.in" bash -c "scripts/gen-man '$bin' '$tmp/manout' '$tmp/mansrc'; echo exit \$?"

# ---- bash completion, called as bash calls it ----
# complete WORD...: COMPREPLY for the command line WORD... (the last word is completed),
# one per line, sorted
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_numalens; printf "%s\n" "${COMPREPLY[@]}"' _ "$prefix/share/bash-completion/completions/numalens" "$@" | sort -u | grep -v '^$'
}
check "completion of 'numalens <TAB>': the commands and help" \
	[ "$(complete_words "$bin" "")" = "$( (echo "$commands"; echo help) | sort -u)" ]
check "completion of 'numalens to<TAB>': topo top" [ "$(complete_words "$bin" to | tr '\n' ' ')" = "top topo " ]
check "completion of 'numalens help <TAB>': the commands" [ "$(complete_words "$bin" help "")" = "$(sort <<< "$commands")" ]
check "completion of 'numalens -<TAB>': numalens -h's options" [ "$(complete_words "$bin" -)" = "$(help_options "$tmp/help")" ]
for c in $commands; do
	got=$(complete_words "$bin" "$c" -)
	check "completion of 'numalens $c -<TAB>': exactly its -h's options" [ "$got" = "$(help_options "$tmp/help-$c")" ]
	[ "$got" = "$(help_options "$tmp/help-$c")" ] || diff <(echo "$got") <(help_options "$tmp/help-$c") | diag
done
check "completion of 'numalens top --thr<TAB>': --threads" [ "$(complete_words "$bin" top --thr)" = --threads ]
check "completion of 'numalens top -p <TAB>' offers running PIDs (this shell's)" \
	grep -qx "$$" <(complete_words "$bin" top -p "")
check "completion of 'numalens doctor --pid=<TAB>' offers PIDs" grep -qx "$$" <(complete_words "$bin" doctor --pid = "")
touch "$tmp/trace-one.nlt"
check "completion of 'numalens report -i DIR/tr<TAB>': the file" \
	[ "$(complete_words "$bin" report -i "$tmp/tr")" = "$tmp/trace-one.nlt" ]
check "completion of 'numalens export --format <TAB>': chrome csv folded" \
	[ "$(complete_words "$bin" export --format "" | tr '\n' ' ')" = "chrome csv folded " ]
mkdir -p "$tmp/outdir"
check "completion of 'numalens prove -o DIR/ou<TAB>': directories" \
	[ "$(complete_words "$bin" prove -o "$tmp/ou")" = "$tmp/outdir" ]
check "completion after '-- ': command names" grep -qx bash <(complete_words "$bin" top -- bas)

# ---- the release tarball ----
out=$(make -s dist 2>&1); rc=$?
tarball=$(ls -t build/numalens-*-static.tar.gz 2>/dev/null | head -1)
check "make dist builds the static tarball" [ "$rc" -eq 0 -a -n "$tarball" ]
[ "$rc" -eq 0 ] || echo "$out" | tail -20 | diag
check_output "dist: static binary, pages, completion" 'bin/numalens.*share/bash-completion/completions/numalens.*share/man/man1/numalens-top\.1' \
	bash -c "tar tzf '$tarball' | sort | tr '\n' ' '"

# ---- the Debian package ----
start=$SECONDS
out=$(make -s deb 2>&1); rc=$?
deb=$(ls -t build/numalens_*.deb 2>/dev/null | head -1)
check "make deb builds a package and lintian reports no error ($((SECONDS - start)) s)" [ "$rc" -eq 0 -a -n "$deb" ]
echo "$out" | grep -E 'lintian|DEB' | diag
check_not_output "lintian: no E: line (build/lintian.log)" '^E: ' cat build/lintian.log
check_output "the package depends on nothing (static binary)" '^$' bash -c "dpkg-deb -f '$deb' Depends Pre-Depends"
check_output "the package holds the binary, every page and the completion" \
	"usr/bin/numalens .*usr/share/bash-completion/completions/numalens .*usr/share/man/man1/numalens-top\.1\.gz " \
	bash -c "dpkg-deb -c '$deb' | awk '{ print \$6 }' | sort | tr '\n' ' '"

# dpkg into a throwaway root: a database of its own, nothing of this machine's changed
droot=$tmp/droot
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers"
: > "$droot/var/lib/dpkg/status"
check_status "dpkg --root installs the package" 0 dpkg --root="$droot" --force-script-chrootless -i "$deb"
check_output "dpkg --root: numalens is installed" '^Status: install ok installed' dpkg --root="$droot" -s numalens
check_output "numalens topo runs from the installed path" 'NUMA node' "$droot/usr/bin/numalens" topo
check_output "the installed binary is static" 'not a dynamic executable|statically linked' ldd "$droot/usr/bin/numalens"
# in a root holding nothing but the package (no libc, no /sys): topo on a fixture tree
cp -a tests/fixtures/gpu-2socket "$droot/fixture"
check_output "numalens topo runs chrooted into the bare package root" '^2 NUMA nodes' \
	chroot "$droot" /usr/bin/numalens topo --root /fixture
check_output "the installed page renders" 'numalens-top +- ' \
	env MANWIDTH=200 man -l "$droot/usr/share/man/man1/numalens-top.1.gz"
check_status "dpkg --root removes the package" 0 dpkg --root="$droot" -r numalens
check "nothing of the package is left" [ ! -e "$droot/usr/bin/numalens" -a ! -e "$droot/usr/share/man/man1/numalens.1.gz" ]

# ---- make uninstall ----
make -s uninstall PREFIX="$prefix" > /dev/null 2>&1
check "make uninstall removes every installed file" [ -z "$(find "$prefix" -type f)" ]
finish
