#!/bin/sh
# A lab-agent driver in plain POSIX shell: it "measures" the Branin function.
# tycho agent runs it once per experiment, with the parameters as JSON on
# standard input, e.g. {"x1":2.5,"x2":7.1}, and reads the result JSON from
# standard output. A non-zero exit marks the experiment failed; whatever is
# on standard error is kept with it.
#
#   tycho agent --server http://127.0.0.1:8080 --lab bench-1 -- examples/agents/branin.sh
set -eu
params=$(cat)
value() { # the number after "NAME": in the JSON on stdin
	printf '%s' "$params" | tr -d ' \n' | sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"
}
x1=$(value x1)
x2=$(value x2)
if [ -z "$x1" ] || [ -z "$x2" ]; then
	echo "expected x1 and x2 in $params" >&2
	exit 2
fi
awk -v x1="$x1" -v x2="$x2" 'BEGIN {
	pi = atan2(0, -1)
	b = 5.1 / (4 * pi * pi); c = 5 / pi; t = 1 / (8 * pi)
	y = (x2 - b * x1 * x1 + c * x1 - 6) ^ 2 + 10 * (1 - t) * cos(x1) + 10
	printf "{\"objectives\": {\"y\": %.12g}, \"metadata\": {\"instrument\": \"branin.sh\"}}\n", y
}'
