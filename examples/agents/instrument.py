#!/usr/bin/env python3
"""A lab-agent driver in Python that simulates a flow reactor.

tycho agent runs it once per experiment, with the parameters as JSON on
standard input, e.g. {"temperature": 85, "residence_time": 4.2,
"equivalents": 1.8}, and reads the result JSON from standard output. A
non-zero exit marks the experiment failed; standard error is kept with it.
The campaign it answers is examples/agent-instrument.yaml:

    tycho agent --server http://127.0.0.1:8080 --lab flow-reactor \\
        --concurrency 2 -- examples/agents/instrument.py

The "instrument" is a quadratic yield surface, not a test function from
the literature. In the scaled coordinates

    u = (temperature - 92) / 45        (temperature in °C)
    v = (residence_time - 6.5) / 4.75  (residence time in min)
    w = (equivalents - 2.2) / 1.0      (equivalents of reagent)

the true yield, in percent, is

    yield = 93 - 38 u² - 24 v² - 16 w² + 10 u v,   clipped to [0, 100],

a concave bowl with its maximum of 93 % at 92 °C, 6.5 min and 2.2
equivalents, and a temperature / residence-time interaction. Each
measurement adds Gaussian noise and reports its standard deviation as the
noise of "yield". The run takes a while, as an instrument would.

Environment:
    TYCHO_SIM_DELAY      seconds one measurement takes (default 0.2)
    TYCHO_SIM_NOISE      standard deviation of the noise, in % (default 1.5)
    TYCHO_SIM_FAIL_RATE  chance that a run fails with an instrument fault
                         (default 0), to exercise failure handling

The noise and faults are drawn from a generator seeded by the experiment's
ID and attempt (TYCHO_EXPERIMENT_ID, TYCHO_ATTEMPT), so a rerun of the same
attempt measures the same value.

Try it by hand:

    echo '{"temperature": 90, "residence_time": 6, "equivalents": 2}' | examples/agents/instrument.py
"""

import os
import random
import sys
import time

# The client package lives in clients/python of the repository.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

from tycho_client import driver_env, run_driver  # noqa: E402

# Each parameter the reactor takes, with the range it can run at.
RANGES = {
    "temperature": (20.0, 150.0),
    "residence_time": (0.1, 30.0),
    "equivalents": (0.5, 5.0),
}


def env_float(name, default):
    v = os.environ.get(name, "")
    if v == "":
        return default
    try:
        x = float(v)
    except ValueError:
        raise ValueError("%s: want a number, got %r" % (name, v))
    if not x >= 0:
        raise ValueError("%s: want a number of at least 0, got %r" % (name, v))
    return x


def true_yield(temperature, residence_time, equivalents):
    u = (temperature - 92.0) / 45.0
    v = (residence_time - 6.5) / 4.75
    w = (equivalents - 2.2) / 1.0
    y = 93.0 - 38.0 * u * u - 24.0 * v * v - 16.0 * w * w + 10.0 * u * v
    return min(max(y, 0.0), 100.0)


def measure(params):
    x = {}
    for name, (lo, hi) in RANGES.items():
        if name not in params:
            raise ValueError("missing parameter %r (the flow reactor takes %s)" % (name, ", ".join(RANGES)))
        v = params[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError("parameter %r: want a number, got %r" % (name, v))
        if not lo <= v <= hi:
            raise ValueError("parameter %r: %g is outside what the reactor can do [%g, %g]" % (name, v, lo, hi))
        x[name] = float(v)

    delay = env_float("TYCHO_SIM_DELAY", 0.2)
    sd = env_float("TYCHO_SIM_NOISE", 1.5)
    fail_rate = env_float("TYCHO_SIM_FAIL_RATE", 0.0)

    ctx = driver_env()
    if ctx["experiment_id"]:
        rng = random.Random("%s/%s" % (ctx["experiment_id"], ctx["attempt"]))
    else:
        rng = random.Random()

    time.sleep(delay)
    if rng.random() < fail_rate:
        raise RuntimeError("instrument fault: back-pressure regulator over limit at %.1f °C" % x["temperature"])

    truth = true_yield(x["temperature"], x["residence_time"], x["equivalents"])
    measured = min(max(truth + rng.gauss(0.0, sd), 0.0), 100.0)
    return {
        "objectives": {"yield": round(measured, 4)},
        "noise": {"yield": sd},
        "metadata": {"instrument": "flow-reactor-sim", "true_yield": round(truth, 4), "seconds": delay},
    }


if __name__ == "__main__":
    run_driver(measure)
