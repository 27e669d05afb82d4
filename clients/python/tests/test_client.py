"""Tests of the Python client against a real `tycho serve`.

Run from the repository root:

    python3 -m unittest discover -s clients/python/tests -v

The tycho binary is built once (go build ./cmd/tycho), or taken from
$TYCHO_BIN. Each test that needs a server starts its own on a free loopback
port with a fresh data directory, and stops it with SIGTERM.
"""

import http.server
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT_DIR))
INSTRUMENT = os.path.join(REPO, "examples", "agents", "instrument.py")
INSTRUMENT_CAMPAIGN = os.path.join(REPO, "examples", "agent-instrument.yaml")

sys.path.insert(0, CLIENT_DIR)

from tycho_client import Client, TychoConnectionError, TychoError, ask_tell_loop  # noqa: E402

_bin_dir = None
TYCHO = None


def setUpModule():
    global _bin_dir, TYCHO
    if os.environ.get("TYCHO_BIN"):
        TYCHO = os.path.abspath(os.environ["TYCHO_BIN"])
        return
    _bin_dir = tempfile.mkdtemp(prefix="tycho-pytest-bin-")
    TYCHO = os.path.join(_bin_dir, "tycho")
    p = subprocess.run(
        ["go", "build", "-o", TYCHO, "./cmd/tycho"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
    )
    if p.returncode != 0:
        raise RuntimeError("go build ./cmd/tycho failed:\n" + p.stdout.decode("utf-8", "replace"))


def tearDownModule():
    if _bin_dir:
        shutil.rmtree(_bin_dir, ignore_errors=True)


class Process:
    """A child process whose standard error is read by a thread, so that it
    never blocks on a full pipe, and kept for diagnostics."""

    def __init__(self, args, cwd=None, env=None):
        self.args = args
        self.lines = queue.Queue()
        self.log = []
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern, timeout):
        """Returns the first match of pattern in a line of stderr."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: no line matching %r within %gs:\n%s" % (self.args[1], pattern, timeout, self.output()))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("%s exited (%s) before printing %r:\n%s" % (self.args[1], self.proc.wait(), pattern, self.output()))
            m = re.search(pattern, line)
            if m:
                return m

    def stop(self, timeout=20):
        """SIGTERM, then wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("%s did not stop within %gs of SIGTERM:\n%s" % (self.args[1], timeout, self.output()))
        self._reader.join(timeout=5)
        if not self._reader.is_alive():
            self.proc.stderr.close()
        return self.proc.returncode

    def output(self):
        return "\n".join(self.log[-50:])


EXTERNAL = """\
name: {name}
parameters:
  - {{name: x1, kind: continuous, bounds: [-5, 10]}}
  - {{name: x2, kind: continuous, bounds: [0, 15]}}
objectives:
  - {{name: y, direction: minimize}}
budget: {{max_experiments: {budget}}}
strategy: {strategy}
seed: 5
lab: {{kind: external}}
"""


def external(name="asktell", budget=10, strategy="sobol"):
    return EXTERNAL.format(name=name, budget=budget, strategy=strategy)


def branin(p):
    import math

    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return {"y": (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10}


class ServerTest(unittest.TestCase):
    """Starts tycho serve for each test."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tycho-pytest-")
        self.server = Process([TYCHO, "serve", "--addr", "127.0.0.1:0", "--data", self.dir])
        m = self.server.wait_for(r"listening on (http://\S+)", 20)
        self.url = m.group(1)
        self.client = Client(self.url, timeout=10, backoff=0.05)
        self.agent = None

    def tearDown(self):
        try:
            if self.agent is not None:
                self.agent.stop()
            code = self.server.stop()
            self.assertEqual(code, 0, "tycho serve exited with %s after SIGTERM:\n%s" % (code, self.server.output()))
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def assertProblem(self, cm, status, code, field=None):
        e = cm.exception
        self.assertEqual((e.status, e.code), (status, code), repr(e))
        if field is not None:
            self.assertEqual(e.field, field, repr(e))
        self.assertTrue(e.detail)


class CampaignTest(ServerTest):
    def test_create_campaign(self):
        c = self.client.create_campaign(source=external(), source_name="asktell.yaml")
        self.assertEqual(c["name"], "asktell")
        self.assertEqual(c["status"], "running")
        self.assertEqual(c["spec"]["lab"]["kind"], "external")
        self.assertEqual(c["source_name"], "asktell.yaml")
        self.assertEqual(self.client.campaign(c["id"])["id"], c["id"])
        self.assertEqual(self.client.campaign("asktell")["id"], c["id"])  # by name
        self.assertEqual([x["id"] for x in self.client.campaigns()], [c["id"]])

    def test_create_campaign_from_spec(self):
        spec = {
            "name": "from-spec",
            "parameters": [{"name": "x", "kind": "continuous", "bounds": [0, 1]}],
            "objectives": [{"name": "y", "direction": "maximize"}],
            "budget": {"max_experiments": 3},
            "lab": {"kind": "external"},
        }
        c = self.client.create_campaign(spec=spec)
        self.assertEqual(c["name"], "from-spec")
        self.assertEqual(c["spec"]["batch_size"], 1)  # defaults filled in

    def test_create_campaign_idempotent(self):
        a = self.client.create_campaign(source=external(), idempotency_key="create-1")
        b = self.client.create_campaign(source=external(), idempotency_key="create-1")
        self.assertEqual(a["id"], b["id"])
        self.assertEqual(len(self.client.campaigns()), 1)
        # Without a key, each call gets a fresh one: two campaigns.
        c = self.client.create_campaign(source=external())
        d = self.client.create_campaign(source=external())
        self.assertNotEqual(c["id"], d["id"])
        self.assertEqual(len(self.client.campaigns()), 3)
        # The same key with another campaign of the same name is refused.
        with self.assertRaises(TychoError) as cm:
            self.client.create_campaign(source=external(budget=11), idempotency_key="create-1")
        self.assertProblem(cm, 409, "conflict")

    def test_bad_input(self):
        with self.assertRaises(TychoError) as cm:
            self.client.create_campaign(source="name: x\n")
        self.assertProblem(cm, 400, "invalid", "/source")
        c = self.client.create_campaign(source=external())
        with self.assertRaises(TychoError) as cm:
            self.client.suggest(c["id"], 0)
        self.assertProblem(cm, 400, "invalid", "/n")
        e = self.client.suggest(c["id"], 1)[0]
        with self.assertRaises(TychoError) as cm:
            self.client.tell(e, {"z": 1.0})
        self.assertProblem(cm, 400, "invalid", "/objectives/z")
        with self.assertRaises(TychoError) as cm:
            self.client.tell(e, {"y_typo": 1.0})
        self.assertProblem(cm, 400, "invalid", "/objectives/y_typo")
        with self.assertRaises(TychoError) as cm:
            self.client.tell(e, {"y": float("nan")})
        self.assertProblem(cm, 400, "invalid", "/objectives/y")
        with self.assertRaises(TychoError) as cm:
            self.client.campaign("no-such-campaign")
        self.assertProblem(cm, 404, "not_found")
        with self.assertRaises(ValueError):
            self.client.tell({"id": e["id"]}, {"y": 1.0})  # no lease token

    def test_stop(self):
        c = self.client.create_campaign(source=external())
        c = self.client.stop(c["id"], "enough for today")
        self.assertEqual((c["status"], c["stop_reason"]), ("completed", "enough for today"))
        with self.assertRaises(TychoError) as cm:
            self.client.suggest(c["id"], 1)
        self.assertProblem(cm, 409, "conflict")


class AskTellTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.cid = self.client.create_campaign(source=external())["id"]

    def test_suggest(self):
        exps = self.client.suggest(self.cid, 3, holder="notebook")
        self.assertEqual(len(exps), 3)
        for e in exps:
            self.assertEqual(e["campaign_id"], self.cid)
            self.assertEqual(set(e["params"]), {"x1", "x2"})
            self.assertTrue(e["lease"]["token"])
            self.assertEqual(e["lease"]["holder"], "notebook")
            self.assertEqual(e["state"], "dispatched")
        listed = self.client.experiments(self.cid)
        self.assertEqual([e["id"] for e in listed], [e["id"] for e in exps])
        self.assertTrue(all("token" not in (e.get("lease") or {}) for e in listed))

    def test_suggest_idempotent(self):
        a = self.client.suggest(self.cid, 2, idempotency_key="ask-1")
        b = self.client.suggest(self.cid, 2, idempotency_key="ask-1")
        self.assertEqual([(e["id"], e["lease"]["token"]) for e in a], [(e["id"], e["lease"]["token"]) for e in b])
        self.assertEqual(len(self.client.experiments(self.cid)), 2)
        # A replayed token works.
        self.assertEqual(self.client.tell(b[0], branin(b[0]["params"]))["state"], "completed")
        c = self.client.suggest(self.cid, 2)
        self.assertFalse({e["id"] for e in c} & {e["id"] for e in a})
        self.assertEqual(len(self.client.experiments(self.cid)), 4)

    def test_tell(self):
        e = self.client.suggest(self.cid, 1)[0]
        out = self.client.tell(e, {"y": 1.5}, noise={"y": 0.1}, metadata={"operator": "ada"})
        self.assertEqual(out["state"], "completed")
        self.assertEqual(out["result"]["objectives"], {"y": 1.5})
        self.assertEqual(out["result"]["noise"], {"y": 0.1})
        self.assertEqual(out["result"]["metadata"], {"operator": "ada"})
        # By (id, token) too.
        f = self.client.suggest(self.cid, 1)[0]
        self.assertEqual(self.client.tell((f["id"], f["lease"]["token"]), {"y": 2.0})["state"], "completed")

    def test_tell_twice(self):
        e = self.client.suggest(self.cid, 1)[0]
        first = self.client.tell(e, {"y": 1.5})
        again = self.client.tell(e, {"y": 1.5})  # a retry: accepted, recorded once
        self.assertEqual(again["state"], "completed")
        self.assertEqual(again["finished_at"], first["finished_at"])
        with self.assertRaises(TychoError) as cm:
            self.client.tell(e, {"y": 9.0})  # another result
        self.assertProblem(cm, 409, "conflict")
        [stored] = self.client.experiments(self.cid)
        self.assertEqual(stored["result"]["objectives"], {"y": 1.5})

    def test_tell_wrong_token(self):
        e = self.client.suggest(self.cid, 1)[0]
        with self.assertRaises(TychoError) as cm:
            self.client.tell((e["id"], "0" * 32), {"y": 1.0})
        self.assertProblem(cm, 409, "conflict")
        self.assertEqual(self.client.experiment(e["id"])["state"], "dispatched")

    def test_fail_and_abandon(self):
        e, f = self.client.suggest(self.cid, 2)
        out = self.client.fail(e, "the pump stalled")
        self.assertEqual((out["state"], out["error"]), ("failed", "the pump stalled"))
        self.assertEqual(self.client.fail(e, "the pump stalled")["state"], "failed")  # retry
        out = self.client.abandon(f["id"], "wrong vial")
        self.assertEqual(out["state"], "abandoned")
        self.assertEqual(self.client.abandon(f["id"], "wrong vial")["state"], "abandoned")  # retry
        with self.assertRaises(TychoError) as cm:
            self.client.abandon(f["id"], "another reason")
        self.assertProblem(cm, 409, "conflict")

    def test_attach(self):
        e = self.client.attach(self.cid, {"x1": 1.0, "x2": 2.0}, {"y": 21.0})
        self.assertEqual(e["state"], "completed")
        self.assertEqual(e["params"], {"x1": 1.0, "x2": 2.0})
        self.assertEqual(e["result"]["objectives"], {"y": 21.0})
        f = self.client.attach(self.cid, {"x1": 3.0, "x2": 4.0}, error="spilled", idempotency_key="att-1")
        g = self.client.attach(self.cid, {"x1": 3.0, "x2": 4.0}, error="spilled", idempotency_key="att-1")
        self.assertEqual(f["id"], g["id"])
        self.assertEqual((f["state"], f["error"]), ("failed", "spilled"))
        self.assertEqual(len(self.client.experiments(self.cid)), 2)
        with self.assertRaises(TychoError) as cm:
            self.client.attach(self.cid, {"x1": 99.0, "x2": 4.0}, {"y": 1.0})
        self.assertProblem(cm, 400, "invalid")

    def test_approve_needs_approval_campaign(self):
        e = self.client.suggest(self.cid, 1)[0]
        with self.assertRaises(TychoError) as cm:
            self.client.approve(e["id"])
        self.assertProblem(cm, 409, "conflict")

    def test_ask_tell_loop(self):
        cid = self.client.create_campaign(source=external("loop", budget=6, strategy="random"))["id"]
        calls = []

        def evaluate(p):
            calls.append(p)
            if len(calls) == 3:
                raise RuntimeError("sensor saturated")
            return branin(p)["y"]  # a bare number: the one objective

        told = ask_tell_loop(self.client, cid, evaluate, batch=2)
        self.assertEqual(len(told), 6)
        self.assertEqual(len(calls), 6)
        self.assertEqual(sorted(e["state"] for e in told), ["completed"] * 5 + ["failed"])
        self.assertIn("sensor saturated", [e for e in told if e["state"] == "failed"][0]["error"])
        c = self.client.campaign(cid)
        self.assertEqual(c["status"], "completed", c.get("stop_reason"))
        self.assertEqual(len(self.client.experiments(cid)), 6)
        # Done is done: another loop suggests nothing.
        self.assertEqual(ask_tell_loop(self.client, cid, evaluate), [])

    def test_ask_tell_loop_bug_abandons_batch(self):
        with self.assertRaises(ValueError):
            ask_tell_loop(self.client, self.cid, lambda p: "not a result", batch=2)
        states = [e["state"] for e in self.client.experiments(self.cid)]
        self.assertEqual(states, ["abandoned", "abandoned"])


class FlakyProxy:
    """An HTTP proxy in front of the server that misbehaves as scripted:
    for each request, the next of faults says what to do ("drop": forward
    the request, then hang up without answering, as if the answer were
    lost; "503": answer 503 without forwarding; None: forward)."""

    def __init__(self, upstream, faults):
        self.upstream = upstream
        self.faults = list(faults)
        self.seen = []  # (method, path, Idempotency-Key) of every request
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def handle_one(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen.append((self.command, self.path, self.headers.get("Idempotency-Key")))
                fault = proxy.faults.pop(0) if proxy.faults else None
                if fault == "503":
                    msg = b"<html>503 Service Unavailable</html>"
                    self.send_response(503)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
                req = urllib.request.Request(proxy.upstream + self.path, data=body or None, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        status, rh, rb = r.status, r.headers, r.read()
                except urllib.error.HTTPError as e:
                    status, rh, rb = e.code, e.headers, e.read()
                if fault == "drop":
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", rh.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(rb)))
                self.end_headers()
                self.wfile.write(rb)

            do_GET = do_POST = do_PATCH = handle_one

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RetryTest(ServerTest):
    def proxy(self, faults):
        p = FlakyProxy(self.url, faults)
        self.addCleanup(p.close)
        return p, Client(p.url, timeout=10, retries=3, backoff=0.01)

    def test_create_retried_with_same_key(self):
        p, c = self.proxy(["drop", "503"])
        camp = c.create_campaign(source=external())
        self.assertEqual(len(p.seen), 3)
        keys = {k for _, _, k in p.seen}
        self.assertEqual(len(keys), 1, p.seen)
        self.assertTrue(keys.pop())
        self.assertEqual([x["id"] for x in self.client.campaigns()], [camp["id"]])

    def test_suggest_and_tell_retried(self):
        cid = self.client.create_campaign(source=external())["id"]
        p, c = self.proxy(["drop", "drop"])
        exps = c.suggest(cid, 2)
        self.assertEqual(len({k for _, _, k in p.seen}), 1)
        self.assertEqual(len(self.client.experiments(cid)), 2)  # no twins
        p.faults = ["drop"]
        out = c.tell(exps[0], {"y": 3.0})  # recorded, answer lost, retried: 200
        self.assertEqual(out["state"], "completed")

    def test_give_up(self):
        p, c = self.proxy(["503"] * 10)
        with self.assertRaises(TychoError) as cm:
            c.campaigns()
        self.assertEqual((cm.exception.status, cm.exception.code), (503, "internal"))
        self.assertIn("503 Service Unavailable", cm.exception.detail)
        self.assertEqual(len(p.seen), 4)  # retries=3

    def test_no_server(self):
        p = FlakyProxy(self.url, [])
        url = p.url
        p.close()
        c = Client(url, retries=2, backoff=0.01)
        with self.assertRaises(TychoConnectionError) as cm:
            c.campaigns()
        self.assertEqual(cm.exception.status, 0)


class AgentTest(ServerTest):
    def test_lease_calls(self):
        source = external("leased", budget=4).replace("lab: {kind: external}", "lab: {kind: agent, name: py-lab}")
        source += "batch_size: 3\n"
        c = self.client.create_campaign(source=source)
        exps = self.client.lease("py-lab", max=3, ttl=30, wait=10, holder="py-agent")
        self.assertEqual(len(exps), 3, self.client.experiments(c["id"]))
        for e in exps:
            self.assertEqual((e["campaign_id"], e["attempt"], e["lease"]["holder"]), (c["id"], 1, "py-agent"))
            self.assertTrue(e["lease"]["token"] and e["lease"]["expires"])
        a, b, d = exps
        self.assertEqual(self.client.heartbeat(a, ttl=30)["state"], "running")
        self.assertEqual(self.client.tell(a, branin(a["params"]))["state"], "completed")
        self.assertEqual(self.client.fail(b, "the lamp is out")["state"], "failed")
        self.assertEqual(self.client.release(d)["state"], "proposed")
        with self.assertRaises(TychoError) as cm:
            self.client.heartbeat(d)  # the lease is gone
        self.assertProblem(cm, 409, "conflict")
        [again] = [e for e in self.client.lease("py-lab", max=3, ttl=30, wait=10) if e["id"] == d["id"]]
        self.assertEqual(again["attempt"], 2)
        self.assertNotEqual(again["lease"]["token"], d["lease"]["token"])
        with self.assertRaises(TychoError) as cm:
            self.client.tell(d, {"y": 1.0})  # the old lease's token
        self.assertProblem(cm, 409, "conflict")
        self.assertEqual(self.client.tell(again, {"y": 1.0})["state"], "completed")
        with self.assertRaises(TychoError) as cm:
            self.client.lease("py-lab", max=0)
        self.assertProblem(cm, 400, "invalid")

    def test_agent_end_to_end(self):
        env = dict(os.environ, TYCHO_SIM_DELAY="0.01")
        self.agent = Process(
            [TYCHO, "agent", "--server", self.url, "--lab", "flow-reactor", "--concurrency", "2",
             "--", "examples/agents/instrument.py"],
            cwd=REPO, env=env,
        )
        self.agent.wait_for(r"agent started", 20)
        with open(INSTRUMENT_CAMPAIGN, encoding="utf-8") as f:
            source = f.read()
        source, n = re.subn(r"max_experiments:\s*\d+", "max_experiments: 6", source)
        self.assertEqual(n, 1)
        c = self.client.create_campaign(source=source, source_name="agent-instrument.yaml")
        self.assertEqual((c["spec"]["lab"]["kind"], c["spec"]["lab"]["name"]), ("agent", "flow-reactor"))
        deadline = time.monotonic() + 40
        while True:
            c = self.client.campaign(c["id"])
            if c["status"] != "running":
                break
            if time.monotonic() > deadline:
                self.fail("the campaign is still running after 40 s: %s\nagent:\n%s\nserver:\n%s" % (
                    [e["state"] for e in self.client.experiments(c["id"])], self.agent.output(), self.server.output()))
            time.sleep(0.1)
        self.assertEqual(c["status"], "completed", c.get("stop_reason"))
        exps = self.client.experiments(c["id"])
        done = [e for e in exps if e["state"] == "completed"]
        self.assertEqual(len(done), 6, [(e["state"], e.get("error")) for e in exps])
        for e in done:
            r = e["result"]
            self.assertTrue(0 <= r["objectives"]["yield"] <= 100)
            self.assertEqual(r["metadata"]["instrument"], "flow-reactor-sim")
            self.assertIn("agent", r["metadata"])


class DriverTest(unittest.TestCase):
    """run_driver, through the instrument.py driver and small inline ones."""

    def run_script(self, args, stdin, env=None):
        e = dict(os.environ, TYCHO_SIM_DELAY="0")
        e.update(env or {})
        return subprocess.run(args, input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=30)

    def inline(self, body, stdin):
        code = "import sys; sys.path.insert(0, %r)\nfrom tycho_client import run_driver\n%s\n" % (CLIENT_DIR, body)
        return self.run_script([sys.executable, "-c", code], stdin)

    def test_instrument(self):
        p = self.run_script([INSTRUMENT], json.dumps({"temperature": 92, "residence_time": 6.5, "equivalents": 2.2}),
                            {"TYCHO_EXPERIMENT_ID": "e-1", "TYCHO_ATTEMPT": "1"})
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        out = json.loads(p.stdout)
        self.assertEqual(set(out), {"objectives", "noise", "metadata"})
        self.assertAlmostEqual(out["objectives"]["yield"], 93, delta=10)
        self.assertEqual(out["noise"], {"yield": 1.5})
        self.assertEqual(out["metadata"]["true_yield"], 93)
        # The same experiment and attempt measure the same.
        q = self.run_script([INSTRUMENT], json.dumps({"temperature": 92, "residence_time": 6.5, "equivalents": 2.2}),
                            {"TYCHO_EXPERIMENT_ID": "e-1", "TYCHO_ATTEMPT": "1"})
        self.assertEqual(json.loads(q.stdout), out)

    def test_instrument_fails(self):
        p = self.run_script([INSTRUMENT], json.dumps({"temperature": 92}))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertIn("missing parameter 'residence_time'", p.stderr.decode())
        p = self.run_script([INSTRUMENT], "not json")
        self.assertEqual(p.returncode, 1)
        self.assertIn("not JSON", p.stderr.decode())
        p = self.run_script([INSTRUMENT], json.dumps({"temperature": 92, "residence_time": 6.5, "equivalents": 2.2}),
                            {"TYCHO_SIM_FAIL_RATE": "1"})
        self.assertEqual(p.returncode, 1)
        self.assertIn("instrument fault", p.stderr.decode())

    def test_measure_raises(self):
        p = self.inline("def m(p):\n    raise RuntimeError('lamp burnt out')\nrun_driver(m)", "{}")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertIn("RuntimeError: lamp burnt out", p.stderr.decode())

    def test_measure_returns_pair_and_prints(self):
        p = self.inline("def m(p):\n    print('chatter')\n    return {'y': p['x'] * 2}, {'run': 7}\nrun_driver(m)", '{"x": 1.5}')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(json.loads(p.stdout), {"objectives": {"y": 3.0}, "metadata": {"run": 7}})
        self.assertIn("chatter", p.stderr.decode())  # prints go to stderr

    def test_measure_returns_bad_result(self):
        for ret in ["float('nan')", "'high'", "{}", "{'y': float('inf')}", "{'y': 'high'}"]:
            p = self.inline("run_driver(lambda p: %s)" % ret, "{}")
            self.assertEqual(p.returncode, 1, ret)
            self.assertEqual(p.stdout, b"", ret)
            self.assertTrue(p.stderr, ret)


if __name__ == "__main__":
    unittest.main()
