#!/usr/bin/env python3
"""Ask/tell against a Tycho server: Tycho proposes, this script measures.

Usage (from the repository root, with `tycho serve` running):

    python3 clients/python/examples/ask_tell.py http://127.0.0.1:8080

It creates a campaign whose lab is `external` from the YAML below, then
loops: suggest a batch of experiments, evaluate each with a local function
(here the Branin function stands in for the lab), tell the results back,
until the server answers 409 because the budget is spent or a stop rule
fired. Then it prints the best experiment.

The same loop written out by hand, without ask_tell_loop, is in
run_by_hand() below.
"""

import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tycho_client import Client, TychoError, ask_tell_loop  # noqa: E402

CAMPAIGN = """\
name: branin-asktell
description: Branin, measured by a Python function through ask/tell.
parameters:
  - {name: x1, kind: continuous, bounds: [-5, 10]}
  - {name: x2, kind: continuous, bounds: [0, 15]}
objectives:
  - {name: y, direction: minimize, goal: 0.45}
budget: {max_experiments: 20}
batch_size: 2
seed: 3
lab: {kind: external}
"""


def branin(params):
    """The "experiment": Branin-Hoo, minimum 0.397887."""
    x1, x2 = params["x1"], params["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    y = (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
    return {"y": y}


def run_by_hand(client, campaign_id, batch=2):
    """ask_tell_loop, written out."""
    while True:
        try:
            exps = client.suggest(campaign_id, batch)
        except TychoError as e:
            if e.status == 409:  # finished, or the budget is taken
                print("done:", e.detail)
                return
            raise
        for e in exps:
            try:
                objectives = branin(e["params"])
            except Exception as exc:
                client.fail(e, str(exc))
            else:
                client.tell(e, objectives)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python3 %s SERVER_URL" % argv[0], file=sys.stderr)
        return 2
    client = Client(argv[1])
    campaign = client.create_campaign(source=CAMPAIGN, source_name="branin-asktell.yaml")
    cid = campaign["id"]
    print("campaign", cid)

    told = ask_tell_loop(client, cid, branin, batch=2)

    campaign = client.campaign(cid)
    print("%d experiments told; campaign %s: %s" % (len(told), campaign["status"], campaign.get("stop_reason", "")))
    done = [e for e in client.experiments(cid) if e["state"] == "completed"]
    if not done:
        print("no experiment completed")
        return 1
    best = min(done, key=lambda e: e["result"]["objectives"]["y"])
    print("best: y = %.4f at x1 = %.4f, x2 = %.4f (experiment %d)" % (
        best["result"]["objectives"]["y"], best["params"]["x1"], best["params"]["x2"], best["seq"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
