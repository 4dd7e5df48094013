#!/usr/bin/env python3
"""Concurrent writers for the crash and multi-server tests, and the check of
what they leave behind. Standard library only.

    load.py write --base URL [--base URL ...] --token T --assignment ID [...]
                  --workers N --seconds S --log FILE [--if-match]
    load.py accept --base URL --token T --assignment ID [...]
    load.py check --base URL --token T --assignment ID [...] --log FILE
                  [--baseline FILE]

`write` posts progress updates from N threads for S seconds, spread over the
servers and assignments given, and appends one JSON line per acknowledged
(2xx) write to FILE, flushed before the next request. A refused connection or
a dropped answer is counted, not fatal: the server may be killed mid-load.
With --if-match each update first reads the assignment and sends its ETag;
a 412 (someone else wrote first) is counted and the update is retried with a
fresh read, so every write acknowledged was made against the version it saw.

`check` reads the assignments back and fails (exit 1) unless:
- every acknowledged update is stored, with the narrative sent;
- every stored update has exactly one `progress.posted` event in the
  assignment's history, and every such event has its update (nothing is
  half-present);
- each assignment's version moved by exactly the number of updates stored
  since the baseline (no update lost or counted twice).
`--baseline FILE` is written by `check --save-baseline FILE` before the load.
"""

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request


def request(method, url, token, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"null")


def write(args):
    stop_at = time.monotonic() + args.seconds
    lock = threading.Lock()
    counts = {"sent": 0, "acknowledged": 0, "conflicts": 0, "unanswered": 0, "refused": 0}
    log = open(args.log, "a", encoding="utf-8")

    def worker(n):
        i = 0
        while time.monotonic() < stop_at:
            base = args.base[(n + i) % len(args.base)]
            assignment = args.assignment[(n * 7 + i) % len(args.assignment)]
            narrative = f"{args.tag} worker {n} write {i}"
            i += 1
            headers = {}
            try:
                if args.if_match:
                    status, got, _ = request("GET", f"{base}/v1/assignments/{assignment}", args.token)
                    if status != 200:
                        with lock:
                            counts["refused"] += 1
                        print(f"unexpected {status} reading {assignment}", file=sys.stderr)
                        continue
                    headers["If-Match"] = got.get("ETag") or got.get("etag")
                with lock:
                    counts["sent"] += 1
                status, _, body = request(
                    "POST",
                    f"{base}/v1/assignments/{assignment}/updates",
                    args.token,
                    {"narrative": narrative},
                    headers,
                )
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                with lock:
                    counts["unanswered"] += 1
                time.sleep(0.05)
                continue
            if 200 <= status < 300:
                with lock:
                    counts["acknowledged"] += 1
                    log.write(json.dumps({"assignment": assignment, "id": body["id"], "narrative": narrative}) + "\n")
                    log.flush()
            elif status == 412:
                with lock:
                    counts["conflicts"] += 1
            else:
                with lock:
                    counts["refused"] += 1
                print(f"unexpected {status}: {body}", file=sys.stderr)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    print(json.dumps(counts))
    return 1 if counts["refused"] else 0


def read_assignment(base, token, assignment):
    status, _, body = request("GET", f"{base}/v1/assignments/{assignment}", token)
    if status != 200:
        raise SystemExit(f"GET assignment {assignment} answered {status}")
    updates, cursor = [], None
    while True:
        url = f"{base}/v1/assignments/{assignment}/updates?limit=100"
        if cursor:
            url += f"&cursor={cursor}"
        status, _, page = request("GET", url, token)
        if status != 200:
            raise SystemExit(f"GET updates answered {status}")
        updates.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    status, _, history = request("GET", f"{base}/v1/assignments/{assignment}/history", token)
    if status != 200:
        raise SystemExit(f"GET history answered {status}")
    return body["version"], updates, history["items"]


def check(args):
    if args.save_baseline:
        baseline = {}
        for assignment in args.assignment:
            version, updates, _ = read_assignment(args.base[0], args.token, assignment)
            baseline[assignment] = {"version": version, "updates": len(updates)}
        with open(args.save_baseline, "w", encoding="utf-8") as f:
            json.dump(baseline, f)
        return 0
    baseline = {}
    if args.baseline:
        with open(args.baseline, encoding="utf-8") as f:
            baseline = json.load(f)
    acknowledged = []
    with open(args.log, encoding="utf-8") as f:
        acknowledged = [json.loads(line) for line in f if line.strip()]
    failures = []
    stored_total = 0
    for assignment in args.assignment:
        version, updates, history = read_assignment(args.base[0], args.token, assignment)
        stored = {u["id"]: u for u in updates}
        stored_total += len(stored)
        events = {}
        for event in history:
            if event["action"] == "progress.posted":
                events[event["entity_id"]] = events.get(event["entity_id"], 0) + 1
        for update_id in stored:
            if events.get(update_id) != 1:
                failures.append(f"update {update_id} has {events.get(update_id, 0)} events")
        for update_id in events:
            if update_id not in stored:
                failures.append(f"event for update {update_id} without the update")
        if assignment in baseline:
            moved = version - baseline[assignment]["version"]
            added = len(stored) - baseline[assignment]["updates"]
            if moved != added:
                failures.append(f"assignment {assignment}: version moved {moved}, updates added {added}")
        for ack in (a for a in acknowledged if a["assignment"] == assignment):
            got = stored.get(ack["id"])
            if got is None:
                failures.append(f"acknowledged update {ack['id']} is missing")
            elif got["narrative"] != ack["narrative"]:
                failures.append(f"update {ack['id']} has narrative {got['narrative']!r}")
    print(json.dumps({"acknowledged": len(acknowledged), "stored": stored_total, "failures": len(failures)}))
    for failure in failures[:20]:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def accept(args):
    """Accepts each assignment still awaiting a response, so updates can be posted."""
    for assignment in args.assignment:
        base = args.base[0]
        status, headers, body = request("GET", f"{base}/v1/assignments/{assignment}", args.token)
        if status != 200:
            raise SystemExit(f"GET assignment {assignment} answered {status}")
        if body["status"] != "awaiting_response":
            continue
        status, _, body = request(
            "PUT",
            f"{base}/v1/assignments/{assignment}/response",
            args.token,
            {"decision": "accepted", "rationale": "Accepted in full.", "planned_completion_on": "2030-12-31"},
            {"If-Match": headers.get("ETag") or headers.get("etag")},
        )
        if status != 200:
            raise SystemExit(f"accepting {assignment} answered {status}: {body}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["accept", "write", "check"])
    parser.add_argument("--base", action="append", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--assignment", action="append", required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--log")
    parser.add_argument("--tag", default="load")
    parser.add_argument("--if-match", action="store_true")
    parser.add_argument("--baseline")
    parser.add_argument("--save-baseline")
    args = parser.parse_args()
    if args.mode == "accept":
        return accept(args)
    if args.mode == "write":
        return write(args)
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
