#!/usr/bin/env bash
# The HTML report in a real browser: tests/host/html_probe writes sample pages from
# synthetic requests (prove: 2 arms, windows, a verdict; report: 1 arm; empty), headless
# Chromium screenshots them with no network at all (its own network namespace), and
# tests/host/png_stats.py checks the screenshot is a drawn page, not a blank one: the
# arms' colours, the cluster band, enough ink. The page itself references nothing
# outside it. Needs Debian's chromium (scripts/setup installs it).
. "$(dirname "$0")/../lib.sh"
set -u

PROBE=$ROOT/build/tests/host/html_probe
STATS=$ROOT/tests/host/png_stats.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! command -v chromium > /dev/null; then
	not_ok "chromium not installed (scripts/setup installs it)"
	finish
fi

for mode in prove report empty; do
	check_status "html_probe --$mode writes a page" 0 "$PROBE" --$mode "$TMP/$mode.html"
done

# Self-contained: no URL but the SVG namespace, nothing to load or run.
others=$(grep -oE 'https?://[^" ]*' "$TMP"/*.html | grep -v ':http://www.w3.org/2000/svg$')
check "pages reference no URL but the SVG namespace" [ -z "$others" ]
check_not_output "pages load nothing (no src, href, url(), @import, script)" \
	'src=|href=|url\(|@import|<script|<link' cat "$TMP"/prove.html "$TMP"/report.html "$TMP"/empty.html

# No network for the browser: a page that needed one would render without its parts.
NONET=()
if unshare -n true 2> /dev/null; then
	NONET=(unshare -n)
	ok "browser runs without a network (unshare -n)"
else
	NONET=()
	echo "# no network namespace here: the browser keeps the network (the page's own references were checked above)"
fi

# shot NAME: screenshots $TMP/NAME.html into $TMP/NAME.png, says how long it took
shot() {
	local start=$(date +%s%N) rc ms
	timeout 120 "${NONET[@]}" chromium --headless --no-sandbox --disable-gpu \
		--no-first-run --disable-extensions --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$TMP/profile-$1" \
		--window-size=1200,2000 --screenshot="$TMP/$1.png" "file://$TMP/$1.html" \
		> "$TMP/$1.log" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "chromium $1: $((ms / 1000)).$(printf %03d $((ms % 1000))) s (exit $rc)" >> "$TMP/$1.log"
	return "$rc"
}

# stat NAME KEY: a value png_stats.py printed for NAME.png
stat() { sed -n "s/^$2=//p" "$TMP/$1.stats"; }

# One browser after the other: three at once took three times as long each here.
for mode in prove report empty; do
	shot "$mode"; rc=$?
	tail -1 "$TMP/$mode.log" | diag
	if [ "$rc" -eq 0 ] && [ -s "$TMP/$mode.png" ]; then
		ok "chromium screenshots the $mode page"
	else
		not_ok "chromium screenshots the $mode page"; tail -5 "$TMP/$mode.log" | diag
		continue
	fi
	python3 "$STATS" "$TMP/$mode.png" '#2563eb' '#ea580c' '#fee2e2:4' > "$TMP/$mode.stats" 2>&1 ||
		{ not_ok "png_stats decodes the $mode screenshot"; diag < "$TMP/$mode.stats"; continue; }
	diag < "$TMP/$mode.stats"
	check "$mode: 1200x2000 screenshot" [ "$(stat "$mode" width)x$(stat "$mode" height)" = 1200x2000 ]
	check "$mode: at least 4 colours" [ "$(stat "$mode" colours)" -ge 4 ]
	check "$mode: more than 1 % ink" [ "$(stat "$mode" ink_permille)" -gt 10 ]
done

if [ -s "$TMP/prove.stats" ]; then
	# The charts, not just text: the arms' series and markers, the cluster bands.
	check "prove: charts drawn (more than 10 % ink)" [ "$(stat prove ink_permille)" -gt 100 ]
	check "prove: arm numa_balancing=0 drawn in blue" [ "$(stat prove near_2563eb)" -gt 1000 ]
	check "prove: arm numa_balancing=1 drawn in orange" [ "$(stat prove near_ea580c)" -gt 1000 ]
	check "prove: cluster windows highlighted" [ "$(stat prove near_fee2e2)" -gt 1000 ]
	check "report: one arm, no orange" [ "$(stat report near_ea580c)" -lt 100 ]
	check "empty: no chart, less ink than prove" [ "$(stat empty ink_permille)" -lt "$(stat prove ink_permille)" ]
fi
[ -n "${HTML_KEEP:-}" ] && cp "$TMP"/*.png "$TMP"/*.html "$HTML_KEEP"/
finish
