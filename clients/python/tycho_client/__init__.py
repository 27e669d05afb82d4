"""A Python client for the Tycho REST API, standard library only.

    from tycho_client import Client, TychoError

    c = Client("http://127.0.0.1:8080")
    campaign = c.create_campaign(source=open("campaign.yaml").read())
    for e in c.suggest(campaign["id"], 2):
        c.tell(e, {"y": measure(e["params"])})

Every request that creates something (a campaign, suggested experiments, an
attached experiment) carries an Idempotency-Key, a fresh uuid4 unless the
caller gives one, and every request is retried with the same key and body
on connection errors and on 502, 503 and 504, a bounded number of times with
exponential backoff. A retry therefore never creates a twin, and results and
failures posted under a lease token are recorded once.

Errors the server reports raise TychoError, built from the RFC 9457
problem+json body: status, code ("invalid", "not_found", "conflict", ...),
detail and field (a JSON Pointer to the member of the request at fault).
A server that cannot be reached at all, after the retries, raises
TychoConnectionError (a subclass of TychoError with status 0).

run_driver(measure) helps write lab-agent drivers (see docs/agents.md and
examples/agents/instrument.py) and ask_tell_loop(client, campaign_id,
evaluate) runs an external-lab campaign to its end.
"""

import contextlib
import http.client
import json
import math
import numbers
import os
import random
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = [
    "Client",
    "TychoError",
    "TychoConnectionError",
    "run_driver",
    "driver_env",
    "ask_tell_loop",
]

__version__ = "0.1.0"

# Statuses worth retrying: a proxy or load balancer in front of the server
# that could not reach it, or a server that is briefly unavailable.
RETRY_STATUSES = (502, 503, 504)

# The code the API gives each status, for error bodies that are not
# problem+json (say, a proxy's HTML page).
_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}


class TychoError(Exception):
    """An error answer of the Tycho API (an RFC 9457 problem).

    status is the HTTP status, code the Tycho error code ("invalid",
    "not_found", "conflict", "unauthorized", "forbidden", "internal",
    "too_large", "unsupported_media_type", "method_not_allowed"), detail
    the message, and field, when there is one, the JSON Pointer of the
    request member at fault (e.g. "/n"). problem is the whole body as
    received, if it was JSON.
    """

    def __init__(self, status, code, detail, field=None, problem=None):
        super().__init__(status, code, detail, field)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.problem = problem

    def __str__(self):
        s = "tycho: %s (%s %s)" % (self.detail, self.status, self.code)
        if self.field:
            s += " at %s" % self.field
        return s

    def __repr__(self):
        return "TychoError(%r, %r, %r, %r)" % (self.status, self.code, self.detail, self.field)


class TychoConnectionError(TychoError):
    """The server could not be reached (or hung up) on every try.

    status is 0 and code "unavailable"; the last underlying error is the
    exception's __cause__.
    """

    def __init__(self, detail):
        TychoError.__init__(self, 0, "unavailable", detail)


def _problem(status, raw):
    """Builds a TychoError from an error response's status and body."""
    body = None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        pass
    if isinstance(body, dict) and ("code" in body or "detail" in body):
        return TychoError(
            body.get("status", status),
            body.get("code") or _CODES.get(status, "internal"),
            body.get("detail") or body.get("title") or "HTTP %d" % status,
            body.get("field") or None,
            body,
        )
    text = raw.decode("utf-8", "replace").strip()
    if len(text) > 500:
        text = text[:500] + "…"
    detail = "HTTP %d from the server" % status
    if text:
        detail += ": " + text
    return TychoError(status, _CODES.get(status, "internal"), detail, None, body)


# Numbers that are not finite travel as these strings (api/openapi.yaml,
# schema Number).
_NONFINITE_OUT = {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}
_NONFINITE_IN = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}


def _numbers_out(m):
    """A map of numbers for the wire: NaN and infinities as text."""
    if m is None:
        return None
    out = {}
    for k, v in dict(m).items():
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            # float() and int() also take NumPy's scalars, which json cannot.
            v = int(v) if isinstance(v, numbers.Integral) else float(v)
            if not math.isfinite(v):
                v = _NONFINITE_OUT[repr(v)]
        out[str(k)] = v
    return out


def _numbers_in(m):
    if not isinstance(m, dict):
        return m
    return {k: _NONFINITE_IN.get(v, v) if isinstance(v, str) else v for k, v in m.items()}


def _experiment_in(e):
    """Reads an experiment from the wire: non-finite numbers as floats."""
    if isinstance(e, dict) and isinstance(e.get("result"), dict):
        r = e["result"]
        for k in ("objectives", "noise"):
            if k in r:
                r[k] = _numbers_in(r[k])
    return e


def _result_out(objectives, noise=None, metadata=None):
    if not isinstance(objectives, dict) or not objectives:
        raise ValueError("objectives: want a dict of objective name to number, got %r" % (objectives,))
    body = {"objectives": _numbers_out(objectives)}
    if noise:
        body["noise"] = _numbers_out(noise)
    if metadata:
        body["metadata"] = dict(metadata)
    return body


def _lease_of(experiment):
    """(id, token) of an experiment dict from suggest, or an (id, token) pair."""
    if isinstance(experiment, (tuple, list)):
        if len(experiment) != 2:
            raise ValueError("want an experiment dict or an (id, token) pair, got %r" % (experiment,))
        return str(experiment[0]), str(experiment[1])
    if isinstance(experiment, dict):
        token = (experiment.get("lease") or {}).get("token")
        if not token:
            raise ValueError(
                "experiment %s carries no lease token: pass the experiment as suggest returned it, "
                "or an (id, token) pair" % experiment.get("id")
            )
        return experiment["id"], token
    raise TypeError("want an experiment dict or an (id, token) pair, got %s" % type(experiment).__name__)


def _path(*parts):
    return "/".join(urllib.parse.quote(str(p), safe="") for p in parts)


class Client:
    """A client of one Tycho server.

    base_url is the server's URL, e.g. "http://127.0.0.1:8080". timeout is
    the socket timeout of one try, in seconds. retries is how many times a
    request is tried again after a connection error or a 502, 503 or 504;
    the pause before the i-th retry is backoff * 2**(i-1) seconds (at most
    max_backoff), with jitter. holder names this client in the leases of
    the experiments it is suggested (default: "python-HOST-PID").
    """

    def __init__(self, base_url, timeout=30.0, retries=4, backoff=0.2, max_backoff=5.0, holder=None):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.netloc:
            raise ValueError("base_url: want http://HOST:PORT, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        if holder is None:
            holder = "python-%s-%d" % (socket.gethostname(), os.getpid())
        self.holder = holder
        self._opener = urllib.request.build_opener()

    def __repr__(self):
        return "Client(%r)" % self.base_url

    # -- transport ---------------------------------------------------------

    def _request(self, method, path, body=None, idempotency_key=None, timeout=None):
        """Sends one request, retrying as the class says; returns the JSON
        answer and the status."""
        timeout = self.timeout if timeout is None else timeout
        data = None
        headers = {"Accept": "application/json", "User-Agent": "tycho-python/" + __version__}
        if body is not None:
            # allow_nan=False: NaN is not JSON; numbers that may be NaN
            # were turned into the API's "NaN" text already.
            data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        url = self.base_url + path
        last = None
        for attempt in range(self.retries + 1):
            if attempt > 0:
                self._pause(attempt)
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with self._opener.open(req, timeout=timeout) as resp:
                    status, raw = resp.status, resp.read()
            except urllib.error.HTTPError as e:
                try:
                    raw = e.read()
                except (OSError, http.client.HTTPException):
                    raw = b""
                finally:
                    e.close()
                err = _problem(e.code, raw)
                if e.code in RETRY_STATUSES and attempt < self.retries:
                    last = err
                    continue
                raise err from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                last = e
                continue
            if not raw.strip():
                return None, status
            try:
                return json.loads(raw.decode("utf-8")), status
            except ValueError as e:
                raise TychoError(status, "internal", "the server's answer is not JSON: %s" % e) from None
        if isinstance(last, TychoError):
            raise last
        reason = getattr(last, "reason", last)
        raise TychoConnectionError(
            "%s %s: no answer after %d tries: %s" % (method, url, self.retries + 1, reason)
        ) from last

    def _pause(self, attempt):
        d = min(self.backoff * (2 ** (attempt - 1)), self.max_backoff)
        time.sleep(d * (0.5 + random.random() / 2))

    # -- operations ----------------------------------------------------------

    def healthz(self):
        """The server's liveness answer, {"status": "ok"}."""
        return self._request("GET", "/healthz")[0]

    def ready(self):
        """Whether the server and its store answer."""
        try:
            return self._request("GET", "/readyz")[0].get("status") == "ready"
        except TychoError:
            return False

    # -- campaigns -----------------------------------------------------------

    def create_campaign(self, source=None, spec=None, source_name=None, idempotency_key=None):
        """Creates a campaign from source, the text of a campaign file
        (YAML, see docs/campaign.md), or spec, the campaign as a dict.

        With the same idempotency_key, a retry returns the campaign the
        first request created (the ID follows from the key). Returns the
        campaign dict ("id", "name", "spec", "status", ...).
        """
        if (source is None) == (spec is None):
            raise ValueError("give source (the text of a campaign file) or spec (a dict), not both or neither")
        body = {}
        if source is not None:
            if isinstance(source, bytes):
                source = source.decode("utf-8")
            body["source"] = source
        else:
            body["spec"] = spec
        if source_name:
            body["source_name"] = source_name
        key = idempotency_key or str(uuid.uuid4())
        return self._request("POST", "/v1/campaigns", body, key)[0]

    def campaign(self, id):
        """A campaign by ID, unique ID prefix or name."""
        return self._request("GET", "/v1/campaigns/" + _path(id))[0]

    def campaigns(self):
        """All campaigns, newest first."""
        return self._request("GET", "/v1/campaigns")[0]["campaigns"]

    def stop(self, campaign_id, reason):
        """Stops a campaign: its status becomes completed, with reason."""
        body = {"status": "completed", "stop_reason": reason}
        return self._request("PATCH", "/v1/campaigns/" + _path(campaign_id), body)[0]

    def update_campaign(self, campaign_id, status=None, stop_reason=None, elapsed_ns=None):
        """Changes a campaign's status, stop reason or charged time."""
        body = {}
        if status is not None:
            body["status"] = status
        if stop_reason is not None:
            body["stop_reason"] = stop_reason
        if elapsed_ns is not None:
            body["elapsed_ns"] = elapsed_ns
        return self._request("PATCH", "/v1/campaigns/" + _path(campaign_id), body)[0]

    def experiments(self, campaign_id):
        """A campaign's experiments, in proposal order (without tokens)."""
        out = self._request("GET", "/v1/campaigns/%s/experiments" % _path(campaign_id))[0]["experiments"]
        return [_experiment_in(e) for e in out]

    def experiment(self, experiment_id):
        """One experiment (its lease token is never shown)."""
        return _experiment_in(self._request("GET", "/v1/experiments/" + _path(experiment_id))[0])

    def generations(self, campaign_id):
        """How each batch of a campaign was proposed."""
        return self._request("GET", "/v1/campaigns/%s/generations" % _path(campaign_id))[0]["generations"]

    # -- ask/tell ------------------------------------------------------------

    def suggest(self, campaign_id, n, holder=None, idempotency_key=None):
        """Asks for up to n experiments of an external-lab campaign.

        Returns a list of experiment dicts, each with its params and
        lease.token; pass each to tell or fail. Raises TychoError 409 once
        the campaign has finished or its budget is taken by experiments
        finished and in flight. A retry with the same idempotency_key
        returns the same experiments with the same tokens.
        """
        body = {"n": n, "holder": holder or self.holder}
        key = idempotency_key or str(uuid.uuid4())
        out = self._request("POST", "/v1/campaigns/%s/suggest" % _path(campaign_id), body, key)[0]
        return [_experiment_in(e) for e in out["experiments"]]

    def tell(self, experiment, objectives, noise=None, metadata=None):
        """Records the result of a suggested (or leased) experiment.

        experiment is the dict suggest returned, or an (id, token) pair.
        objectives maps each objective's name to its value; noise, if
        given, the standard deviation of each; metadata is free JSON.
        The same result under the same token is recorded once; another
        result, or a token that is not the experiment's lease, raises
        TychoError 409. Returns the experiment as recorded.
        """
        id, token = _lease_of(experiment)
        body = _result_out(objectives, noise, metadata)
        body["token"] = token
        return _experiment_in(self._request("POST", "/v1/experiments/%s/result" % _path(id), body)[0])

    def fail(self, experiment, error):
        """Marks a suggested (or leased) experiment failed, keeping error."""
        id, token = _lease_of(experiment)
        error = str(error) or "failed"
        body = {"token": token, "error": error}
        return _experiment_in(self._request("POST", "/v1/experiments/%s/fail" % _path(id), body)[0])

    def abandon(self, experiment_id, reason):
        """Abandons an experiment that is not finished (or rejects a proposal)."""
        if isinstance(experiment_id, dict):
            experiment_id = experiment_id["id"]
        path = "/v1/experiments/%s/abandon" % _path(experiment_id)
        try:
            return _experiment_in(self._request("POST", path, {"reason": reason})[0])
        except TychoError as e:
            # A retry of a request whose answer was lost finds the
            # experiment abandoned already: that is success.
            if e.code == "conflict":
                cur = self.experiment(experiment_id)
                if cur.get("state") == "abandoned" and cur.get("error") == reason:
                    return cur
            raise

    def attach(self, campaign_id, params, objectives=None, error=None, idempotency_key=None, noise=None, metadata=None):
        """Records an experiment run outside Tycho's proposals: its params
        and either its objectives (a dict) or the error it failed with."""
        body = {"params": dict(params)}
        if objectives is not None:
            body["result"] = _result_out(objectives, noise, metadata)
        if error is not None:
            body["error"] = str(error)
        key = idempotency_key or str(uuid.uuid4())
        return _experiment_in(self._request("POST", "/v1/campaigns/%s/experiments" % _path(campaign_id), body, key)[0])

    # -- lab agents --------------------------------------------------------

    def lease(self, lab, max=1, ttl=30.0, wait=0.0, holder=None):
        """Leases up to max experiments ready for an agent lab, as tycho
        agent does, waiting up to wait seconds (at most 60) for some.

        Each comes with lease.token and lease.expires; renew the lease with
        heartbeat within ttl seconds, and post the outcome with tell or
        fail (or hand it back with release). Returns a possibly empty list.
        A lease request retried after its answer was lost leaves the first
        leases to expire, after which their experiments are leased again.
        """
        body = {"holder": holder or self.holder, "max": max, "ttl_seconds": ttl}
        if wait:
            body["wait_seconds"] = wait
        out = self._request("POST", "/v1/labs/%s/leases" % _path(lab), body, timeout=self.timeout + (wait or 0))[0]
        return [_experiment_in(e) for e in out["experiments"]]

    def heartbeat(self, experiment, ttl=30.0):
        """Renews a lease for ttl seconds from now; the experiment is then
        running. Raises TychoError 409 if the lease is no longer this one."""
        id, token = _lease_of(experiment)
        body = {"token": token, "ttl_seconds": ttl}
        return _experiment_in(self._request("POST", "/v1/experiments/%s/heartbeat" % _path(id), body)[0])

    def release(self, experiment):
        """Hands a leased experiment back to the queue at once."""
        id, token = _lease_of(experiment)
        return _experiment_in(self._request("POST", "/v1/experiments/%s/release" % _path(id), {"token": token})[0])

    def approve(self, experiment_id):
        """Approves a proposal of a campaign that requires approval."""
        if isinstance(experiment_id, dict):
            experiment_id = experiment_id["id"]
        return _experiment_in(self._request("POST", "/v1/experiments/%s/approve" % _path(experiment_id))[0])


# -- ask/tell loop ---------------------------------------------------------------


def _as_result(value, objective_names):
    """Reads what an evaluate or measure function returned: a dict of
    objectives, (objectives, metadata), a full result dict with an
    "objectives" member, or, for a campaign of one objective, a number."""
    noise = metadata = None
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError("want (objectives, metadata), got a tuple of %d" % len(value))
        value, metadata = value
    if isinstance(value, dict) and isinstance(value.get("objectives"), dict):
        noise = value.get("noise")
        metadata = value.get("metadata", metadata)
        value = value["objectives"]
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if objective_names is None or len(objective_names) != 1:
            raise ValueError("got the number %r; give a dict of objective name to value" % (value,))
        value = {objective_names[0]: value}
    if not isinstance(value, dict) or not value:
        raise ValueError("want a dict of objective name to number, got %r" % (value,))
    return value, noise, metadata


def ask_tell_loop(client, campaign_id, evaluate, batch=1, holder=None, max_rounds=None):
    """Runs an external-lab campaign to its end.

    Suggests batch experiments at a time, calls evaluate(params) for each
    and tells the result, until the server answers 409: a stop rule fired
    or the budget is taken. evaluate returns a dict of objectives, a pair
    (objectives, metadata), or a number when the campaign has one
    objective; if it raises an Exception, the experiment is marked failed
    with the message and the loop goes on. Should the loop itself stop
    on an exception (KeyboardInterrupt, a TychoError, a ValueError for a
    value of evaluate that is not a result), the experiments of the batch
    not yet told are abandoned before the exception propagates.

    Returns the experiments as recorded, in the order they were told.
    """
    c = client.campaign(campaign_id)
    campaign_id = c["id"]
    names = [o["name"] for o in c["spec"].get("objectives", [])]
    done = []
    rounds = 0
    conflicts = 0
    while max_rounds is None or rounds < max_rounds:
        try:
            exps = client.suggest(campaign_id, batch, holder=holder)
        except TychoError as e:
            if e.status != 409:
                raise
            # Another client's request may have taken the generation this
            # one computed; while the campaign runs, ask again a few times.
            cur = client.campaign(campaign_id)
            if cur["spec"].get("lab", {}).get("kind") != "external":
                raise
            conflicts += 1
            if cur.get("status") == "running" and conflicts <= 3:
                time.sleep(0.1 * 2 ** conflicts)
                continue
            break
        conflicts = 0
        rounds += 1
        pending = list(exps)
        try:
            while pending:
                e = pending[0]
                try:
                    value = evaluate(e["params"])
                except Exception as exc:  # the measurement failed
                    done.append(client.fail(e, "%s: %s" % (type(exc).__name__, exc)))
                else:
                    # A value that is not a result is a bug in evaluate,
                    # not a failed measurement: it stops the loop.
                    objectives, noise, metadata = _as_result(value, names)
                    done.append(client.tell(e, objectives, noise=noise, metadata=metadata))
                pending.pop(0)
        except BaseException:
            for e in pending:
                try:
                    client.abandon(e["id"], "the ask/tell loop stopped")
                except Exception:
                    pass
            raise
    return done


# -- agent drivers -----------------------------------------------------------------


def driver_env():
    """What tycho agent tells a driver about the experiment it runs:
    experiment_id, campaign_id, seq, attempt (ints where numbers) and lab,
    from the TYCHO_* environment variables; None where unset."""

    def num(name):
        v = os.environ.get(name)
        try:
            return int(v) if v is not None else None
        except ValueError:
            return None

    return {
        "experiment_id": os.environ.get("TYCHO_EXPERIMENT_ID"),
        "campaign_id": os.environ.get("TYCHO_CAMPAIGN_ID"),
        "seq": num("TYCHO_SEQ"),
        "attempt": num("TYCHO_ATTEMPT"),
        "lab": os.environ.get("TYCHO_LAB"),
    }


def _finite_numbers(m, what):
    out = {}
    for k, v in m.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError("%s %r: want a number, got %r" % (what, k, v))
        v = int(v) if isinstance(v, numbers.Integral) else float(v)
        if not math.isfinite(v):
            raise ValueError("%s %r: %r is not a finite number; raise an exception to fail the experiment" % (what, k, v))
        out[str(k)] = v
    return out


def run_driver(measure, stdin=None, stdout=None, stderr=None, exit=True):
    """Runs measure as a tycho agent driver, then exits.

    Reads the experiment's parameters, a JSON object, from standard
    input and calls measure(params). measure returns a dict of objectives
    ({"yield": 87.2}), a pair (objectives, metadata), or a full result
    {"objectives": {...}, "noise": {...}, "metadata": {...}}. The result
    JSON is written to standard output and the process exits 0. If
    measure raises, or returns something that is not a result, the message
    goes to standard error and the process exits 1: the agent marks the
    experiment failed and keeps standard error with it.

    While measure runs, what it prints goes to standard error, so that
    stray prints cannot spoil the result on standard output. With
    exit=False the exit code is returned instead.
    """
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    code = 0
    try:
        text = stdin.read()
        try:
            params = json.loads(text)
        except ValueError as e:
            raise ValueError("the parameters on standard input are not JSON: %s: %r" % (e, text[:200]))
        if not isinstance(params, dict):
            raise ValueError("the parameters on standard input are not a JSON object: %r" % (text[:200],))
        with contextlib.redirect_stdout(stderr):
            value = measure(params)
        objectives, noise, metadata = _as_result(value, None)
        out = {"objectives": _finite_numbers(objectives, "objective")}
        if noise:
            out["noise"] = _finite_numbers(noise, "noise of")
        if metadata:
            if not isinstance(metadata, dict):
                raise ValueError("metadata: want a dict, got %r" % (metadata,))
            out["metadata"] = metadata
        line = json.dumps(out, allow_nan=False, default=str)
    except Exception as exc:
        msg = str(exc) or "(no message)"
        stderr.write("%s: %s\n" % (type(exc).__name__, msg))
        stderr.flush()
        code = 1
    else:
        stdout.write(line + "\n")
        stdout.flush()
    if exit:
        sys.exit(code)
    return code
