#!/usr/bin/env python3
"""Local cold start of a Lambda binary: process start to first answered event.

Runs against `cargo lambda watch --only-lambda-apis` (the Lambda runtime API emulator,
which then starts no function by itself). Each trial queues one invocation of
/lambda-url/<name><path>, starts a fresh process of the binary pointed at the emulator's
runtime API for <name>, and times from the spawn to the answer. The process builds its
context (configuration, AWS SDK clients, data gateway) exactly as on a Lambda cold start.

    coldstart.py --emulator 127.0.0.1:9000 --binary target/release/health --name health \
                 --path /api/health --trials 5

Prints one line per trial and the medians; exits 1 when an invocation is not answered 200.
After the cold event each trial sends one more to the same process (warm): what the
cold figure adds to the warm one is the start-up cost itself (process start, runtime
registration, configuration, AWS SDK clients, first connections to the store).
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emulator", required=True, help="host:port of cargo lambda watch")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--name", required=True, help="function (bin) name")
    ap.add_argument("--path", default="/")
    ap.add_argument("--trials", type=int, default=5)
    a = ap.parse_args()

    times = []
    warms = []
    for trial in range(a.trials):
        result = {}

        def invoke_into(out):
            url = f"http://{a.emulator}/lambda-url/{a.name}{a.path}"
            try:
                with urllib.request.urlopen(url, timeout=60) as r:
                    out["status"] = r.status
                    r.read()
            except urllib.error.HTTPError as e:
                out["status"] = e.code
            except Exception as e:  # noqa: BLE001 - reported below
                out["error"] = str(e)
            out["t1"] = time.perf_counter()

        def invoke():
            invoke_into(result)

        # Queue the event first, so the measured time is the function's alone.
        t = threading.Thread(target=invoke)
        t.start()
        time.sleep(0.3)
        env = dict(os.environ)
        env.update({
            "AWS_LAMBDA_RUNTIME_API": f"http://{a.emulator}/.rt/{a.name}",
            "AWS_LAMBDA_FUNCTION_NAME": a.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "1",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        })
        t0 = time.perf_counter()
        proc = subprocess.Popen([a.binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t.join(60)
        warm = {}
        if result.get("status") == 200:
            w0 = time.perf_counter()
            invoke_into(warm)
            warm["ms"] = (warm["t1"] - w0) * 1000
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if result.get("status") != 200:
            print(f"{a.name}: trial {trial + 1} failed: {result}; stderr: {err.decode(errors='replace')[-600:]}")
            return 1
        if warm.get("status") != 200:
            print(f"{a.name}: trial {trial + 1}: the warm event failed: {warm}")
            return 1
        ms = (result["t1"] - t0) * 1000
        times.append(ms)
        warms.append(warm["ms"])
        print(f"{a.name}: trial {trial + 1}: cold {ms:.1f} ms, then warm {warm['ms']:.1f} ms")
    print(f"{a.name}: cold start median {statistics.median(times):.1f} ms "
          f"(min {min(times):.1f}, max {max(times):.1f}, {len(times)} trials; target < 50 ms); "
          f"warm median {statistics.median(warms):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
